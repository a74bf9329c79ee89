"""The fixed benchmark queries: 200 of them, drawn from the generated pages' own words.

180 AND queries of 1-3 words in four classes (45 each) and 20 two-word phrases:

- ``frequent``: words on at least 5% of pages (the costly case: many matches to score);
- ``mid``: words on 0.5-2% of pages;
- ``rare``: words on at most 0.05% of the sampled pages (or on one only);
- ``frequent+rare``: one rare word and one or two frequent ones;
- ``phrase``: two adjacent words of a paragraph.

The words of one query come from one page's article, so every query finds that page.
Words are lowercase letters only, at least 3 long and not in Whoosh's stop list, so
every engine tokenizes them alike. Document frequencies come from an even sample of up
to 5,000 pages. The set is saved to a JSON file in the work folder, so every engine (and
every later run on the same pages) gets the very same queries.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CLASSES = ("frequent", "mid", "rare", "frequent+rare", "phrase")
QUERY_COUNT = 200
PHRASE_COUNT = 20
SAMPLE_PAGES = 5000
FREQUENT, MID_LOW, MID_HIGH, RARE = 0.05, 0.005, 0.02, 0.0005

QUERIES_VERSION = 2
"""Bump when the way queries are made changes, so that saved sets are made again."""
# Tokens as Whoosh's default tokenizer cuts them ("mycokemusic.com" is one token, so
# "mycokemusic" would find nothing); queries use the tokens that are plain words.
_TOKEN = re.compile(r"\w+(?:\.?\w+)*")
_PLAIN_WORD = re.compile(r"[a-z]{3,}")
# Two adjacent plain words ("U.S.", "don't", "co-operate", "web.com" are not).
_PAIR = re.compile(r"(?<![\w'\u2019.-])([A-Za-z]{3,}) (?=([A-Za-z]{3,})(?![\w'\u2019-]|\.\w))")
# Whoosh's default stop list (whoosh.analysis.STOP_WORDS): a query of stop words only
# finds nothing in Whoosh, so no query uses them.
STOP_WORDS = frozenset(
    (  # noqa: SIM905 (one line of words reads better than 34 lines of strings)
        "a an and are as at be by can for from have if in is it may not of on or tbd that the"
        " this to us we when will with yet you your"
    ).split()
)


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    phrase: bool
    kind: str
    """Its class: one of :data:`CLASSES`."""

    @property
    def text(self) -> str:
        """In the syntax newsdex and Whoosh share: ``a b`` (AND) or ``"a b"``."""
        joined = " ".join(self.words)
        return f'"{joined}"' if self.phrase else joined

    def to_json(self) -> dict[str, object]:
        return {"words": list(self.words), "phrase": self.phrase, "class": self.kind}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Query:
        words = data["words"]
        assert isinstance(words, list)
        return cls(tuple(map(str, words)), bool(data["phrase"]), str(data["class"]))


def _words(text: str) -> list[str]:
    tokens = _TOKEN.findall(text.lower())
    return [t for t in tokens if _PLAIN_WORD.fullmatch(t) and t not in STOP_WORDS]


def _sample(pages_dir: Path, limit: int) -> list[Path]:
    files = sorted(pages_dir.rglob("*.txt"))
    step = max(1, len(files) // limit)
    return files[::step][:limit]


def make_queries(pages_dir: Path, seed: int = 0, sample: int = SAMPLE_PAGES) -> list[Query]:
    """The 200 queries for the pages under ``pages_dir`` (deterministic)."""
    from indexer import split_page

    articles: list[tuple[set[str], list[str]]] = []
    frequency: Counter[str] = Counter()
    for path in _sample(pages_dir, sample):
        article = split_page(path.read_text(encoding="utf-8"), str(path)).article
        if article is None:
            continue
        words = set(_words(" ".join([article.title, *article.paragraphs])))
        articles.append((words, list(article.paragraphs)))
        frequency.update(words)
    if not articles:
        raise ValueError(f"no page with an article under {pages_dir}")
    pages = len(articles)

    def classify(word: str) -> str | None:
        share = frequency[word] / pages
        if share >= FREQUENT:
            return "frequent"
        if frequency[word] <= max(1, RARE * pages):
            return "rare"
        return "mid" if MID_LOW <= share < MID_HIGH else None

    rng = random.Random(f"newsdex-bench-queries:{seed}")
    made: list[Query] = []
    seen: set[tuple[str, ...]] = set()
    per_class = (QUERY_COUNT - PHRASE_COUNT) // 4
    plan = [(kind, per_class) for kind in CLASSES[:4]] + [("phrase", PHRASE_COUNT)]
    for kind, count in plan:
        wanted = len(made) + count
        for _attempt in range(200 * count):
            if len(made) == wanted:
                break
            words, paragraphs = articles[rng.randrange(pages)]
            query = _draw(kind, sorted(words), paragraphs, rng, classify)
            if query is not None and query.words not in seen:
                seen.add(query.words)
                made.append(query)
        # A tiny corpus may lack enough of a class: fill with single frequent words.
        frequent = sorted(frequency, key=lambda w: (-frequency[w], w))
        for word in frequent:
            if len(made) >= wanted:
                break
            if (word,) not in seen:
                seen.add((word,))
                made.append(Query((word,), False, kind))
    return made


def _draw(
    kind: str,
    words: Sequence[str],
    paragraphs: Sequence[str],
    rng: random.Random,
    classify: Callable[[str], str | None],
) -> Query | None:
    """One query of this class from one article's words, or None if it has too few."""
    if kind == "phrase":
        paragraph = rng.choice(paragraphs)
        pairs = [
            (a.lower(), b.lower())
            for a, b in _PAIR.findall(paragraph)
            if a.lower() not in STOP_WORDS and b.lower() not in STOP_WORDS
        ]
        return Query(rng.choice(pairs), True, kind) if pairs else None
    if kind == "frequent+rare":
        rare = [w for w in words if classify(w) == "rare"]
        frequent = [w for w in words if classify(w) == "frequent"]
        size = rng.randint(1, 2)
        if not rare or len(frequent) < size:
            return None
        chosen = [*rng.sample(frequent, size), rng.choice(rare)]
        rng.shuffle(chosen)
        return Query(tuple(chosen), False, kind)
    candidates = [w for w in words if classify(w) == kind]
    size = rng.randint(1, 3)
    if len(candidates) < size:
        return None
    return Query(tuple(rng.sample(candidates, size)), False, kind)


def save(queries: Sequence[Query], path: Path) -> None:
    data = {"version": QUERIES_VERSION, "queries": [query.to_json() for query in queries]}
    path.write_text(json.dumps(data, indent=0) + "\n", encoding="utf-8")


def load(path: Path) -> list[Query]:
    """The queries saved at ``path``; ValueError if they were made another way."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("version") != QUERIES_VERSION:
        raise ValueError(f"{path} holds queries made by another version")
    return [Query.from_json(item) for item in data["queries"]]


def load_or_make(path: Path, pages_dir: Path, seed: int = 0) -> list[Query]:
    """The queries saved at ``path``, made from ``pages_dir`` and saved first if need be."""
    with contextlib.suppress(FileNotFoundError, ValueError):
        return load(path)
    queries = make_queries(pages_dir, seed)
    save(queries, path)
    return queries


def spread(queries: Sequence[Query], count: int) -> list[Query]:
    """``count`` of the queries, each class in proportion (at least one each when possible)."""
    if count >= len(queries):
        return list(queries)
    groups: dict[str, list[Query]] = {}
    for query in queries:
        groups.setdefault(query.kind, []).append(query)
    shares = {kind: count * len(group) // len(queries) for kind, group in groups.items()}
    for kind in sorted(groups, key=lambda kind: shares[kind])[: count - sum(shares.values())]:
        shares[kind] += 1
    chosen = []
    for kind, group in groups.items():
        step = len(group) / shares[kind] if shares[kind] else 0
        chosen += [group[int(i * step)] for i in range(shares[kind])]
    return chosen
