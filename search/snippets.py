"""Choosing the passages of a text to show around its matched words.

Pure text work: the search engine says where the matches are (character
spans), this module picks the best one to three fragments around them, at
most ``size`` characters in all, and returns them joined by ``" ... "`` with
the match offsets moved into the snippet. Fragments are whole sentences when
they fit, else start at the sentence's start when the matches allow, and
always begin and end between words.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from search.results import Snippet

SNIPPET_CHARS = 240
MAX_FRAGMENTS = 3
MIN_FRAGMENT_CHARS = 60
"""A further fragment narrower than this is not worth its separator."""
SEPARATOR = " ... "

Span = tuple[int, int]
_WHITESPACE = re.compile(r"\s+")
# Whitespace that folding changes: at either end, runs, and any but a plain space.
_FOLDABLE = re.compile(r"^\s+|\s+$|\s{2,}|[^\S ]")
# A sentence ends at . ! or ? (and any closing quotes or brackets) before a
# space, or at a line break.
# (Written to start with one character class: that makes Python's regex scan
# a text nearly three times as fast.)
_SENTENCE_END = re.compile(r"[.!?\n](?:(?<=\n)|[\"'\u201d\u2019)\]]*(?=\s))")
_CLOSERS = "\"'\u201d\u2019)]"
"""The characters a sentence end may run on over, after its mark (. ! ? or a line break)."""
_LOOK_BACK = 256
"""Characters looked through at first for the start of a sentence (then twice as many)."""


def make_snippet(
    text: str,
    spans: Iterable[Span],
    size: int = SNIPPET_CHARS,
    max_fragments: int = MAX_FRAGMENTS,
    terms: Mapping[Span, str] | None = None,
) -> Snippet:
    """The best fragments of ``text`` around ``spans``, at most ``size`` characters.

    The first fragment is the sentence with the most query terms (then the
    most matches); a further one is shown only for a term the earlier ones
    lack. ``terms`` says which term each span matched (stems: "killed" and
    "killings" are one term), by default the lowercased word. With no spans,
    the snippet is the text's lead; a text that fits is shown whole.
    """
    matches = sorted({(s, e) for s, e in spans if 0 <= s < e <= len(text)})
    if len(text) <= size:
        return _assemble(text, [(0, len(text))], matches)
    if not matches:
        return _assemble(text, [_fit(text, (0, len(text)), [], size)], [])
    term_of = terms or {(s, e): text[s:e].lower() for s, e in matches}
    windows = _choose(text, _Sentences(text), matches, term_of, size, max_fragments)
    return _assemble(text, _merge(windows), matches)


def lead(text: str, size: int) -> str:
    """``text`` if it fits in ``size`` characters, else its start, cut at a word, and "…"."""
    if len(text) <= size:
        return text
    return make_snippet(text, (), size=size - 2).text + " …"


def whole_snippet(text: str, spans: Iterable[Span]) -> Snippet:
    """All of a short text (a headline) with its matches marked."""
    return make_snippet(text, spans, size=max(len(text), 1))


class _Sentences:
    """Where the sentences of a text lie, found around the positions asked about:
    an article has dozens of sentences, a snippet needs two or three, and
    scanning the whole text for them was a third of a snippet's time.

    A sentence ends at a match of :data:`_SENTENCE_END`; the next one starts
    where that match ends. The matches found here are those a scan of the
    whole text finds: one starts with ``. ! ? \\n`` and runs on only over
    closing quotes and brackets, so a scan started anywhere but inside such a
    run finds the same ones from there on.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def start_of(self, position: int) -> int:
        """Where the sentence holding ``position`` starts (unstripped)."""
        text, before, reach = self.text, position, _LOOK_BACK
        while before > 0:
            low = max(0, before - reach)
            candidate = max(
                text.rfind(".", low, before),
                text.rfind("!", low, before),
                text.rfind("?", low, before),
                text.rfind("\n", low, before),
            )
            if candidate < 0:  # none that near: look further back
                before, reach = low, reach * 2
                continue
            found = _SENTENCE_END.match(text, candidate)
            if found is not None and found.end() <= position:
                return found.end()
            before = candidate
        return 0

    def holding(self, position: int) -> tuple[int, int, int]:
        """The sentence holding ``position``: the first of :meth:`from_`."""
        text = self.text
        start = self.start_of(position)
        at = self._ends_after(position)
        while (found := _SENTENCE_END.search(text, at)) is not None:
            if found.end() > position:
                return start, _sentence_end(found), found.end()
            at = found.end()  # a sentence end is never empty
        return start, len(text), len(text) + 1

    def ends_from(self, position: int) -> Iterator[tuple[int, int]]:
        """Where the sentence holding ``position`` ends, then each one after it
        (unstripped), with where the next one starts."""
        text = self.text
        for found in _SENTENCE_END.finditer(text, self._ends_after(position)):
            if found.end() <= position:
                continue
            yield _sentence_end(found), found.end()
        yield len(text), len(text) + 1

    def _ends_after(self, position: int) -> int:
        """Where to scan for the end of the sentence holding ``position``: from
        the mark before any closing quotes or brackets the position follows."""
        scan = position
        while scan > 0 and self.text[scan - 1] in _CLOSERS:
            scan -= 1
        return max(scan - 1, 0)


def _sentence_end(found: re.Match[str]) -> int:
    """Where a sentence ends at a match of :data:`_SENTENCE_END`: a line break
    is not part of it, a mark and its closers are."""
    return found.start() if found.group() == "\n" else found.end()


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _choose(
    text: str,
    sentences: _Sentences,
    matches: list[Span],
    term_of: Mapping[Span, str],
    size: int,
    limit: int,
) -> list[Span]:
    """Up to ``limit`` windows, each on the group of matches adding the most terms
    not shown yet.

    Groups are the matches of a sentence that lie close together. Ties go to
    the group with more matches, then to the earlier one. A group adding no
    new term is not taken: one longer fragment reads better than three that
    repeat the same word. While other groups would still add terms, a
    fragment leaves room for them.
    """
    by_sentence: dict[Span, list[Span]] = {}
    sentence, following = (0, 0), 0
    for span in matches:
        if span[0] >= following:  # not in the sentence of the match before
            start, end, following = sentences.holding(span[0])
            sentence = _strip(text, start, end)
        by_sentence.setdefault(sentence, []).append(span)
    groups: list[tuple[Span, list[Span]]] = []
    for sentence, inside in by_sentence.items():
        groups.extend((sentence, group) for group in _cluster(inside, size // limit))
    if len(groups) == 1:  # most hits of rare words: the loop below would take it whole
        sentence, group = groups[0]
        window = _fit(text, sentence, group, size, [term_of.get(span, "") for span in group])
        room = size - (window[1] - window[0])
        return [_read_on(text, sentences, window, room, size) if room > 0 else window]
    terms = [{term_of.get(span, "") for span in group} for _, group in groups]
    left = set(range(len(groups)))
    shown: set[str] = set()
    windows: list[Span] = []
    room = size
    while left and len(windows) < limit:
        best = max(left, key=lambda i: (len(terms[i] - shown), len(groups[i][1]), -i))
        if windows and not terms[best] - shown:
            break
        left.discard(best)
        width = room - (len(SEPARATOR) if windows else 0)
        if windows and width < MIN_FRAGMENT_CHARS:
            break
        still_missing = set().union(*(terms[i] for i in left)) - shown - terms[best]
        later = min(limit - len(windows) - 1, len(still_missing))
        reserve = later * (len(SEPARATOR) + MIN_FRAGMENT_CHARS)
        width = min(width, max(width - reserve, MIN_FRAGMENT_CHARS))
        sentence, group = groups[best]
        window = _fit(text, sentence, group, width, [term_of.get(span, "") for span in group])
        windows.append(window)
        room -= window[1] - window[0] + (len(SEPARATOR) if len(windows) > 1 else 0)
        shown |= {term_of.get(span, "") for span in matches if window[0] <= span[0] < window[1]}
    if len(windows) == 1 and room > 0:
        windows[0] = _read_on(text, sentences, windows[0], room, size)
    return windows


def _read_on(text: str, sentences: _Sentences, window: Span, room: int, size: int) -> Span:
    """``window`` with the whole sentences after it that fit in ``room``; or, if
    none does and the window is short, the words that do."""
    start, end = window
    limit = min(len(text), end + room)
    longest = end
    # Each sentence's end, stripped, but not before its start: for the first
    # (holding the window's end) the window's end will do, as no end short
    # of it counts.
    sentence_start = end
    for sentence_end, following in sentences.ends_from(end):
        sentence_end = _strip(text, sentence_start, sentence_end)[1]
        if sentence_end > limit:
            break
        longest = max(longest, sentence_end)
        sentence_start = following
    if longest > end:
        return start, longest
    if end - start < size // 2:
        return start, _word_end(text, start, limit, end)
    return window


def _cluster(matches: Sequence[Span], reach: int) -> list[list[Span]]:
    """Group matches that fit in one fragment of ``reach`` characters."""
    clusters: list[list[Span]] = []
    for span in matches:
        if clusters and span[1] - clusters[-1][0][0] <= reach:
            clusters[-1].append(span)
        else:
            clusters.append([span])
    return clusters


def _fit(
    text: str, sentence: Span, matches: Sequence[Span], width: int, terms: Sequence[str] = ()
) -> Span:
    """At most ``width`` characters of ``sentence`` holding the first of ``matches``
    (and as many more as fit), between words.

    The whole sentence if it fits; else from its start if that shows every
    term of ``terms`` (which term each match is) that the matches do; else
    from a little before the matches (text reads forward: most context goes
    after).
    """
    start, end = sentence
    if end - start <= width:
        return start, end
    if not matches:
        return start, _word_end(text, start, start + width, start)
    terms = terms or [text[s:e].lower() for s, e in matches]
    first, last = matches[0][0], matches[-1][1]
    from_sentence_start = {
        term for (_, e), term in zip(matches, terms, strict=True) if e - start <= width
    }
    if from_sentence_start != set(terms):
        if last - first >= width:
            last = matches[0][1]
        start = max(start, first - (width - (last - first)) // 3)
        start = _word_start(text, start, first, matches[0][1] - width)
    return start, _word_end(text, start, min(len(text), start + width), matches[0][1])


def _word_start(text: str, start: int, first: int, earliest: int) -> int:
    """``start`` moved to the start of a word: forwards, but not past ``first``;
    else backwards, but not before ``earliest``; else past a hyphen or the like."""
    if start == 0 or text[start - 1].isspace():
        return start
    space = _find_space(text, start, first)
    if space is not None:
        return space + 1
    before = max(text.rfind(blank, 0, start) for blank in " \n\t")
    if before + 1 >= earliest:
        return before + 1
    # One long word ("cancer-associated"): start at one of its parts.
    parts = (cut + 1 for cut in range(start, first) if not text[cut].isalnum())
    return next(parts, start)


def _word_end(text: str, start: int, end: int, keep: int) -> int:
    """``end`` moved back to the end of a word, but not before ``keep``."""
    if end >= len(text) or text[end].isspace():
        return _strip(text, start, end)[1]
    earliest = max(keep, start)
    space = max(text.rfind(blank, earliest, end) for blank in " \n\t")
    if space > start:
        return _strip(text, start, space)[1]
    # One long word ("autophagy-lysosome"): end after one of its parts.
    parts = (cut for cut in range(end - 1, earliest - 1, -1) if not text[cut].isalnum())
    return next(parts, end)


def _find_space(text: str, start: int, end: int) -> int | None:
    found = _WHITESPACE.search(text, start, end)
    return found.start() if found else None


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
    if " ".join(piece.split()) == piece:  # most pieces: nothing to fold
        return piece, [(s - start, e - start) for s, e in matches if start <= s and e <= end]
    folded: list[str] = []
    afters: list[int] = []  # where in the piece a run that loses characters ends
    dropped_before: list[int] = []  # and how many characters are gone up to there
    dropped = 0
    position = 0
    for run in _FOLDABLE.finditer(piece):
        folded.append(piece[position : run.start()])
        edge = run.start() == 0 or run.end() == len(piece)
        folded.append("" if edge else " ")
        dropped += len(run.group()) - (0 if edge else 1)
        afters.append(run.end())
        dropped_before.append(dropped)
        position = run.end()
    folded.append(piece[position:])

    def moved(offset: int) -> int:
        runs = bisect.bisect_right(afters, offset)
        return offset - (dropped_before[runs - 1] if runs else 0)

    inside = [(s - start, e - start) for s, e in matches if start <= s and e <= end]
    return "".join(folded), [(moved(s), moved(e)) for s, e in inside]
