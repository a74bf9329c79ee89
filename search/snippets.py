"""Choosing the passages of a text to show around its matched words.

Pure text work: the search engine says where the matches are (character
spans), this module picks the best one to three fragments around them, about
``size`` characters in all, and returns them joined by ``" ... "`` with the
match offsets moved into the snippet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from search.results import Snippet

SNIPPET_CHARS = 200
MAX_FRAGMENTS = 3
SEPARATOR = " ... "

Span = tuple[int, int]
_WHITESPACE = re.compile(r"\s+")

# Where a sentence may start: the text's start, a line start, or after a
# sentence-ending mark and a space.
_SENTENCE_START = re.compile(r"(?:^|\n|[.!?]\s)\s*", re.MULTILINE)


def make_snippet(
    text: str,
    spans: Iterable[Span],
    size: int = SNIPPET_CHARS,
    max_fragments: int = MAX_FRAGMENTS,
    terms: Mapping[Span, str] | None = None,
) -> Snippet:
    """The best fragments of ``text`` around ``spans``, about ``size`` characters.

    A further fragment is shown only for a query term the earlier ones lack;
    ``terms`` says which term each span matched (stems: "killed" and
    "killings" are one term), by default the lowercased word. With no spans,
    the snippet is the text's lead; a text that fits is shown whole.
    """
    matches = sorted({(s, e) for s, e in spans if 0 <= s < e <= len(text)})
    if len(text) <= size:
        return _assemble(text, [(0, len(text))], matches)
    if not matches:
        return _assemble(text, [_window(text, 0, 0, size)], [])
    clusters = _cluster(matches, size // max_fragments)
    term_of = terms or {(s, e): text[s:e].lower() for s, e in matches}
    chosen = _choose(clusters, term_of, max_fragments)
    budget = (size - len(SEPARATOR) * (len(chosen) - 1)) // len(chosen)
    windows = [_window(text, group[0][0], group[-1][1], budget) for group in chosen]
    return _assemble(text, _merge(windows), matches)


def whole_snippet(text: str, spans: Iterable[Span]) -> Snippet:
    """All of a short text (a headline) with its matches marked."""
    return make_snippet(text, spans, size=max(len(text), 1))


def _cluster(matches: Sequence[Span], reach: int) -> list[list[Span]]:
    """Group matches that fit in one fragment of ``reach`` characters."""
    clusters: list[list[Span]] = []
    for span in matches:
        if clusters and span[1] - clusters[-1][0][0] <= reach:
            clusters[-1].append(span)
        else:
            clusters.append([span])
    return clusters


def _choose(
    clusters: list[list[Span]], term_of: Mapping[Span, str], limit: int
) -> list[list[Span]]:
    """Up to ``limit`` clusters, each adding the most terms not shown yet.

    Ties go to the cluster with more matches, then to the earlier one. A
    cluster adding no new term is not taken: one longer fragment reads better
    than three that repeat the same word. The chosen come back in text order.
    """
    terms = [{term_of.get(span, "") for span in cluster} for cluster in clusters]
    shown: set[str] = set()
    chosen: list[int] = []
    while len(chosen) < min(limit, len(clusters)):
        best = max(
            (i for i in range(len(clusters)) if i not in chosen),
            key=lambda i: (len(terms[i] - shown), len(clusters[i]), -i),
        )
        if chosen and not terms[best] - shown:
            break
        chosen.append(best)
        shown |= terms[best]
    return [clusters[i] for i in sorted(chosen)]


def _window(text: str, first: int, last: int, width: int) -> Span:
    """About ``width`` characters holding ``first:last``, on word boundaries.

    Context goes mostly after the matches (text reads forward), and the window
    starts at a sentence start when one lies close before the first match.
    """
    if last - first >= width:
        start, end = first, first + width
    else:
        start = max(0, first - (width - (last - first)) // 3)
        sentence = _sentence_start(text, start, first)
        if sentence is not None:
            start = sentence
        end = min(len(text), start + width)
        start = max(0, min(start, end - width))
    # Never cut a word in two: move inwards to the nearest space, but never
    # past the matches themselves.
    if start > 0 and not text[start - 1].isspace():
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    if end < len(text) and not text[end].isspace():
        space = text.rfind(" ", max(last, start), end)
        end = space if space != -1 else end
    return start, end


def _sentence_start(text: str, lower: int, first: int) -> int | None:
    """The earliest sentence start in ``lower..first``, if any."""
    for found in _SENTENCE_START.finditer(text, lower, first + 1):
        if found.end() <= first:
            return found.end()
    return None


def _merge(windows: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _assemble(text: str, windows: list[Span], matches: Sequence[Span]) -> Snippet:
    """Join the windows with the separator, whitespace folded, marks moved along."""
    pieces: list[str] = []
    marks: list[Span] = []
    length = 0
    for start, end in windows:
        if pieces:
            pieces.append(SEPARATOR)
            length += len(SEPARATOR)
        piece, moved = _fold_whitespace(text, start, end, matches)
        pieces.append(piece)
        marks.extend((s + length, e + length) for s, e in moved)
        length += len(piece)
    return Snippet("".join(pieces), tuple(marks))


def _fold_whitespace(
    text: str, start: int, end: int, matches: Sequence[Span]
) -> tuple[str, list[Span]]:
    """``text[start:end]`` with runs of whitespace (newlines too) made one space."""
    piece = text[start:end]
    folded: list[str] = []
    removed: list[tuple[int, int]] = []  # (offset in piece, characters dropped before it)
    dropped = 0
    position = 0
    for run in _WHITESPACE.finditer(piece):
        folded.append(piece[position : run.start()])
        edge = run.start() == 0 or run.end() == len(piece)
        folded.append("" if edge else " ")
        dropped += len(run.group()) - (0 if edge else 1)
        removed.append((run.end(), dropped))
        position = run.end()
    folded.append(piece[position:])

    def moved(offset: int) -> int:
        shift = 0
        for after, total in removed:
            if offset >= after:
                shift = total
        return offset - shift

    inside = [(s - start, e - start) for s, e in matches if start <= s and e <= end]
    return "".join(folded), [(moved(s), moved(e)) for s, e in inside]
