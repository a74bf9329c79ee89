"""Words as the index cuts, normalises and stems them, in any script (pure: no Whoosh).

The engine's analyzer (``indexer.analysis``) and the marking of matches in
snippets (``search.matches``) both take their word rule from here, so the
words a snippet marks are the words the index holds.

- **A token** is Whoosh's default: a run of word characters (Python's ``\\w``,
  and ``*``), runs joined by single dots (``U.S.``, ``3.5``), now with the
  combining marks that follow a character (Unicode categories Mn, Mc, Me,
  which ``\\w`` leaves out): the Arabic harakat in ``المَدْرَسَةُ``, the vowel
  signs of Devanagari, a decomposed accent. Text without marks is cut
  exactly as Whoosh cuts it.
- **Arabic words** (a word with a character of the Arabic script) are
  normalised as Lucene's ``ArabicNormalizer`` does and stemmed with
  Snowball's light Arabic stemmer; every other word keeps Whoosh's Porter
  stemming and English stop words (``indexer.analysis``).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from typing import Any

# -- Tokens -------------------------------------------------------------------


MARK_TABLE_UNICODE = "15.1.0"
"""The Unicode version of :data:`_MARK_TABLE`: Python 3.13's; 3.11 has 14.0.0, 3.12 15.0.0."""

_MARK_TABLE = """
0300-036F 0483-0489 0591-05BD 05BF 05C1-05C2 05C4-05C5 05C7 0610-061A 064B-065F 0670
06D6-06DC 06DF-06E4 06E7-06E8 06EA-06ED 0711 0730-074A 07A6-07B0 07EB-07F3 07FD
0816-0819 081B-0823 0825-0827 0829-082D 0859-085B 0898-089F 08CA-08E1 08E3-0903
093A-093C 093E-094F 0951-0957 0962-0963 0981-0983 09BC 09BE-09C4 09C7-09C8 09CB-09CD
09D7 09E2-09E3 09FE 0A01-0A03 0A3C 0A3E-0A42 0A47-0A48 0A4B-0A4D 0A51 0A70-0A71 0A75
0A81-0A83 0ABC 0ABE-0AC5 0AC7-0AC9 0ACB-0ACD 0AE2-0AE3 0AFA-0AFF 0B01-0B03 0B3C
0B3E-0B44 0B47-0B48 0B4B-0B4D 0B55-0B57 0B62-0B63 0B82 0BBE-0BC2 0BC6-0BC8 0BCA-0BCD
0BD7 0C00-0C04 0C3C 0C3E-0C44 0C46-0C48 0C4A-0C4D 0C55-0C56 0C62-0C63 0C81-0C83 0CBC
0CBE-0CC4 0CC6-0CC8 0CCA-0CCD 0CD5-0CD6 0CE2-0CE3 0CF3 0D00-0D03 0D3B-0D3C 0D3E-0D44
0D46-0D48 0D4A-0D4D 0D57 0D62-0D63 0D81-0D83 0DCA 0DCF-0DD4 0DD6 0DD8-0DDF 0DF2-0DF3
0E31 0E34-0E3A 0E47-0E4E 0EB1 0EB4-0EBC 0EC8-0ECE 0F18-0F19 0F35 0F37 0F39 0F3E-0F3F
0F71-0F84 0F86-0F87 0F8D-0F97 0F99-0FBC 0FC6 102B-103E 1056-1059 105E-1060 1062-1064
1067-106D 1071-1074 1082-108D 108F 109A-109D 135D-135F 1712-1715 1732-1734 1752-1753
1772-1773 17B4-17D3 17DD 180B-180D 180F 1885-1886 18A9 1920-192B 1930-193B 1A17-1A1B
1A55-1A5E 1A60-1A7C 1A7F 1AB0-1ACE 1B00-1B04 1B34-1B44 1B6B-1B73 1B80-1B82 1BA1-1BAD
1BE6-1BF3 1C24-1C37 1CD0-1CD2 1CD4-1CE8 1CED 1CF4 1CF7-1CF9 1DC0-1DFF 20D0-20F0
2CEF-2CF1 2D7F 2DE0-2DFF 302A-302F 3099-309A A66F-A672 A674-A67D A69E-A69F A6F0-A6F1
A802 A806 A80B A823-A827 A82C A880-A881 A8B4-A8C5 A8E0-A8F1 A8FF A926-A92D A947-A953
A980-A983 A9B3-A9C0 A9E5 AA29-AA36 AA43 AA4C-AA4D AA7B-AA7D AAB0 AAB2-AAB4 AAB7-AAB8
AABE-AABF AAC1 AAEB-AAEF AAF5-AAF6 ABE3-ABEA ABEC-ABED FB1E FE00-FE0F FE20-FE2F 101FD
102E0 10376-1037A 10A01-10A03 10A05-10A06 10A0C-10A0F 10A38-10A3A 10A3F 10AE5-10AE6
10D24-10D27 10EAB-10EAC 10EFD-10EFF 10F46-10F50 10F82-10F85 11000-11002 11038-11046
11070 11073-11074 1107F-11082 110B0-110BA 110C2 11100-11102 11127-11134 11145-11146
11173 11180-11182 111B3-111C0 111C9-111CC 111CE-111CF 1122C-11237 1123E 11241
112DF-112EA 11300-11303 1133B-1133C 1133E-11344 11347-11348 1134B-1134D 11357
11362-11363 11366-1136C 11370-11374 11435-11446 1145E 114B0-114C3 115AF-115B5
115B8-115C0 115DC-115DD 11630-11640 116AB-116B7 1171D-1172B 1182C-1183A 11930-11935
11937-11938 1193B-1193E 11940 11942-11943 119D1-119D7 119DA-119E0 119E4 11A01-11A0A
11A33-11A39 11A3B-11A3E 11A47 11A51-11A5B 11A8A-11A99 11C2F-11C36 11C38-11C3F
11C92-11CA7 11CA9-11CB6 11D31-11D36 11D3A 11D3C-11D3D 11D3F-11D45 11D47 11D8A-11D8E
11D90-11D91 11D93-11D97 11EF3-11EF6 11F00-11F01 11F03 11F34-11F3A 11F3E-11F42 13440
13447-13455 16AF0-16AF4 16B30-16B36 16F4F 16F51-16F87 16F8F-16F92 16FE4 16FF0-16FF1
1BC9D-1BC9E 1CF00-1CF2D 1CF30-1CF46 1D165-1D169 1D16D-1D172 1D17B-1D182 1D185-1D18B
1D1AA-1D1AD 1D242-1D244 1DA00-1DA36 1DA3B-1DA6C 1DA75 1DA84 1DA9B-1DA9F 1DAA1-1DAAF
1E000-1E006 1E008-1E018 1E01B-1E021 1E023-1E024 1E026-1E02A 1E08F 1E130-1E136 1E2AE
1E2EC-1E2EF 1E4EC-1E4EF 1E8D0-1E8D6 1E944-1E94A E0100-E01EF
"""
"""The combining marks (Unicode categories Mn, Mc, Me) as ranges of code points,
made with Python 3.13's ``unicodedata``. Scanning ``unicodedata`` takes 20 ms
and compiling the patterns 15 ms more, paid by every command that opens an
index; this table and the patterns below cost 2 ms. New Unicode versions
only add marks: on an older one the few marks it lacks are unassigned code
points, and a newer one is scanned (``tests/test_arabic.py`` checks both)."""


def _scanned_marks() -> list[tuple[int, int]]:
    """This Python's combining marks, as ranges: for a Unicode newer than the table's.

    Marks lie in planes 0, 1 and 14 only (2 and 3 hold ideographs, 15 and 16
    private use): scanning them takes 20 ms, not 250.
    """
    category = unicodedata.category
    ranges: list[tuple[int, int]] = []
    for block in (range(0x300, 0x20000), range(0xE0000, 0xE1000)):
        for code in block:
            if category(chr(code))[0] == "M":
                if ranges and ranges[-1][1] == code - 1:
                    ranges[-1] = (ranges[-1][0], code)
                else:
                    ranges.append((code, code))
    return ranges


def _table_marks() -> list[tuple[int, int]]:
    return [
        (int(first, 16), int(last or first, 16))
        for first, _, last in (item.partition("-") for item in _MARK_TABLE.split())
    ]


def _mark_ranges() -> list[tuple[int, int]]:
    def version(text: str) -> tuple[int, ...]:
        return tuple(map(int, text.split(".")))

    if version(unicodedata.unidata_version) > version(MARK_TABLE_UNICODE):
        return _scanned_marks()
    return _table_marks()


def _class_body(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(first)) + ("" if first == last else "-" + re.escape(chr(last)))
        for first, last in ranges
    )


_RANGES = _mark_ranges()
_BMP_MARKS = _class_body([r for r in _RANGES if r[1] < 0x10000])
_ASTRAL_MARKS = _class_body([r for r in _RANGES if r[0] >= 0x10000])
MARKS = _BMP_MARKS + _ASTRAL_MARKS
"""The combining marks, as the body of a regular expression's character class."""

POSSESSIVE_WORKS = sys.version_info >= (3, 11, 5)
"""Whether Python's possessive quantifiers match as they should: before 3.11.5
one holding a lookahead matched too much ("7." was one token; CPython's
gh-106052 and gh-100061). Atomic groups mean the same and are right there,
but slower on later Pythons, where possessive quantifiers are fixed."""

_WORD = r"\w\*"
"""Whoosh's word characters: its default tokenizer is ``[\\w\\*]+(\\.?[\\w\\*]+)*``."""

# After a token's first character: runs of word characters and marks, and a
# dot when a word character follows it. The marks outside the BMP are a list
# of ranges that Python's regex engine tries one by one; in the runs' own
# class every space between words would try them all (that made tokenizing
# English 60% slower), so they are tried only for a character outside the
# BMP. The runs are never given back (possessive, or atomic groups before
# Python 3.11.5: see POSSESSIVE_WORKS): nothing follows a token, so giving
# characters back never finds another match.
if POSSESSIVE_WORKS:
    _TOKEN_REST = (
        rf"(?:[{_WORD}{_BMP_MARKS}]++|(?=[\U00010000-\U0010ffff])[{_ASTRAL_MARKS}]++"
        rf"|\.(?=[{_WORD}]))*+"
    )
else:
    _TOKEN_REST = (
        rf"(?>(?:(?>[{_WORD}{_BMP_MARKS}]+)|(?=[\U00010000-\U0010ffff])(?>[{_ASTRAL_MARKS}]+)"
        rf"|\.(?=[{_WORD}]))*)"
    )
_TOKEN = rf"[{_WORD}]{_TOKEN_REST}"

HYPHENS = "-\u2010\u2011"
"""Hyphen-minus, hyphen and non-breaking hyphen: what joins a compound word."""
HYPHEN = re.compile(f"[{HYPHENS}]")

# The patterns below are compiled when first used, not when this module is
# imported: their classes of marks take milliseconds to compile, which every
# command would pay, and text without marks never needs them (see
# token_end, and indexer.analysis for ASCII text).


@functools.cache
def token() -> re.Pattern[str]:
    """A word as the index's tokenizer cuts it: one definition for the analyzer and the marks.

    The same tokens as ``[\\w*][\\w*M]*(?:\\.?[\\w*][\\w*M]*)*`` with ``M`` the
    combining marks, written for speed (``tests/test_arabic.py`` checks both agree).
    """
    return re.compile(_TOKEN)


@functools.cache
def token_rest() -> re.Pattern[str]:
    """The rest of a token from any point after its first character: :func:`token`'s
    end, found from inside it."""
    return re.compile(_TOKEN_REST)


COMPOUND_PATTERN = rf"{_TOKEN}(?:[{HYPHENS}]{_TOKEN})*"
"""What the tokenizer cuts: a word, or words joined by hyphens ("IL-10",
"COVID-19", "anti-inflammatory"), which the analyzer then takes apart into
:func:`token` words (and, with a digit, writes together too)."""


@functools.cache
def compound() -> re.Pattern[str]:
    """:data:`COMPOUND_PATTERN`, compiled."""
    return re.compile(COMPOUND_PATTERN)


_UNMARKED_REST = re.compile(
    rf"(?:[{_WORD}]++|\.(?=[{_WORD}]))*+"
    if POSSESSIVE_WORKS
    else rf"(?>(?:(?>[{_WORD}]+)|\.(?=[{_WORD}]))*)"
)
""":func:`token_rest` without the marks: the same end wherever no mark follows."""


def token_end(text: str, position: int) -> int:
    """Where the token running through ``position`` ends (:func:`token_rest` from there).

    Found without the marks first: the two patterns differ only where a
    mark comes, so unless a mark follows that end, it is the token's.
    """
    rest = _UNMARKED_REST.match(text, position)
    assert rest is not None  # the rest may be empty, so it always matches
    end = rest.end()
    if end < len(text) and is_mark(text[end]):
        rest = token_rest().match(text, position)
        assert rest is not None
        end = rest.end()
    return end


_WORD_CHARACTER = re.compile(rf"[{_WORD}]")
_FIRST_MARK = "\u0300"
"""No combining mark comes before U+0300: most characters are told apart at once."""


@functools.cache
def _mark(astral: bool) -> re.Pattern[str]:
    return re.compile(f"[{_ASTRAL_MARKS if astral else _BMP_MARKS}]")


def is_mark(character: str) -> bool:
    """Whether ``character`` is a combining mark (a token takes it in after a word character).

    The marks are :data:`MARKS`: this Python's marks, and those of a newer
    Unicode than its own (:data:`MARK_TABLE_UNICODE`), unassigned here. So a
    character this Python calls a mark is one, and only one it calls
    unassigned is looked up in the table: quotes, dashes and letters never are.
    """
    if character < _FIRST_MARK:
        return False
    category = unicodedata.category(character)
    if category[0] == "M":
        return True
    return category == "Cn" and _mark(character >= "\U00010000").fullmatch(character) is not None


ASCII_WORD_CHARACTERS = frozenset(c for c in map(chr, range(128)) if _WORD_CHARACTER.match(c))
"""The ASCII characters of a token: after one of them, a position is inside a
token (:func:`inside_token`), known without a regular expression."""


def inside_token(text: str, position: int) -> bool:
    """Whether the token running up to ``position`` would take in the character
    there: then no token starts at ``position``.

    The character before is a word character, or a mark that follows one, or
    a dot after either (a dot joins two runs of a token: ``U.S``).
    """
    before = position - 1
    if before < 0:
        return False
    if _WORD_CHARACTER.match(text, before):
        return True
    if text[before] == "." and before > 0:
        before -= 1
    elif text[before] < _FIRST_MARK:  # neither a dot nor a mark: most often
        return False
    while is_mark(text[before]):
        if before == 0:
            return False
        before -= 1
    return _WORD_CHARACTER.match(text, before) is not None


# -- Scripts ------------------------------------------------------------------

ARABIC_SCRIPT = (
    "\u0600-\u06ff"  # Arabic
    "\u0750-\u077f"  # Arabic Supplement
    "\u0870-\u089f"  # Arabic Extended-B
    "\u08a0-\u08ff"  # Arabic Extended-A
    "\ufb50-\ufdff"  # Arabic Presentation Forms-A
    "\ufe70-\ufeff"  # Arabic Presentation Forms-B
    "\U00010ec0-\U00010eff"  # Arabic Extended-C
    "\U0001ee00-\U0001eeff"  # Arabic Mathematical Alphabetic Symbols
)
"""The Unicode blocks of the Arabic script, as the body of a character class."""

_ARABIC = re.compile(f"[{ARABIC_SCRIPT}]")
_ARABIC_INDIC_DIGIT = re.compile("[\u0660-\u0669]")


def is_arabic(word: str) -> bool:
    """Whether ``word`` is analysed as Arabic: it has a character of the Arabic script.

    Words mixing scripts in one token (``الـCIA``, ``2018م``) are Arabic: the
    stemmer strips Arabic prefixes and leaves Latin letters and digits alone.
    """
    return not word.isascii() and _ARABIC.search(word) is not None


def has_arabic_indic_digit(text: str) -> bool:
    """Whether ``text`` has a digit ``٠``-``٩``: the Arabic stemmer writes them ``0``-``9``."""
    return not text.isascii() and _ARABIC_INDIC_DIGIT.search(text) is not None


# -- Arabic normalisation -----------------------------------------------------

_ALEF = "\u0627"
_YEH = "\u064a"
_HEH = "\u0647"
_TEH_MARBUTA = "\u0629"

_BARE = str.maketrans(dict.fromkeys(["\u0640", *map(chr, range(0x064B, 0x0653))]))
"""Tatweel (U+0640) and the harakat from fathatan to sukun (U+064B-U+0652) removed."""
_LETTERS = str.maketrans(
    {
        "\u0622": _ALEF,  # alef with madda above
        "\u0623": _ALEF,  # alef with hamza above
        "\u0625": _ALEF,  # alef with hamza below
        "\u0649": _YEH,  # alef maksura (dotless yeh)
    }
)


def normalise_arabic(word: str) -> str:
    """``word`` as Lucene's ``ArabicNormalizer`` writes it: ``آ أ إ`` as ``ا``,
    ``ى`` as ``ي``, ``ة`` as ``ه``, without tatweel and harakat."""
    return word.translate(_BARE).translate(_LETTERS).replace(_TEH_MARBUTA, _HEH)


_SAVOY_STOP_WORDS = """
    من ومن منها منه في وفي فيها فيه و ف ثم او أو ب بها به ا أ اى اي أي أى لا
    ولا الا ألا إلا لكن ما وما كما فما عن مع اذا إذا ان أن إن انها أنها إنها
    انه أنه إنه بان بأن فان فأن وان وأن وإن التى التي الذى الذي الذين الى الي
    إلى إلي على عليها عليه اما أما إما ايضا أيضا كل وكل لم ولم لن ولن هى هي
    هو وهى وهي وهو فهى فهي فهو انت أنت لك لها له هذه هذا تلك ذلك هناك كانت
    كان يكون تكون وكانت وكان غير بعض قد نحو بين بينما منذ ضمن حيث الان الآن
    خلال بعد قبل حتى عند عندما لدى جميع
"""
ARABIC_STOP_WORDS = frozenset(_SAVOY_STOP_WORDS.split())
"""Jacques Savoy's Arabic stop words (BSD licence), the list Lucene's
``ArabicAnalyzer`` uses, as it uses it: matched before the letters are
normalised (the list spells variants out), so the preposition ``على`` is
left out and the name ``علي`` is not. Harakat and tatweel are removed first,
so a diacritised ``عَلَى`` is a stop word too."""

MIN_LETTERS = 2
"""Shorter words are not indexed, as Whoosh's ``StopFilter`` drops them (its ``minsize``)."""


def arabic_term(word: str) -> str | None:
    """The index term of an Arabic ``word`` (lowercased), or ``None`` for a stop word.

    Harakat and tatweel go, stop words are dropped, alef and yeh variants are
    unified, then Snowball's Arabic stemmer takes off prefixes (``ال``,
    ``بال``, ``لل``...) and suffixes; last, ``ة`` is written ``ه``.

    Snowball never takes ``و`` or ``ف`` ("and") off before an alef, so
    ``والكتاب`` stayed whole; Lucene's light stemmer takes off ``وال`` and
    ``فال``, and so does this, before Snowball, leaving three letters at
    least (``والدة``, "mother", stays).

    Together that is Lucene's normalisation, with one change of order: Snowball tells
    the feminine ending ``ة`` (taken off any noun) from the pronoun ``ه``
    ("his", never on a noun with the article), so given Lucene's ``ه`` for
    ``ة`` it stems ``المدرسة`` to ``مدرسه`` but ``مدرسة`` to ``مدرس``. So the
    stemmer sees ``ة``; and when it leaves a ``ه`` at the end of a noun with
    the article, that ``ه`` is no pronoun but ``ة`` written ``ه``
    (``العربيه``) or a root's (``المياه``): the stem is stemmed again with
    ``ة`` there, which stems it as the stemmer stems the noun spelt with
    ``ة`` (``العربية``), and the root's ``ه`` as it would without the article.
    """
    bare = word.translate(_BARE)
    if len(bare) < MIN_LETTERS or bare in ARABIC_STOP_WORDS:
        return None
    letters = bare.translate(_LETTERS)
    if letters.startswith(_AND_THE) and len(letters) >= 6:
        letters = letters[1:]
    stem: str = _snowball_arabic()().stemWord(letters)
    if stem.endswith(_HEH) and len(stem) >= 4 and _has_article(letters):
        stem = _snowball_arabic()().stemWord(stem[:-1] + _TEH_MARBUTA)
    return stem.replace(_TEH_MARBUTA, _HEH)


_AND_THE = ("\u0648\u0627\u0644", "\u0641\u0627\u0644")  # وال فال


def _has_article(word: str) -> bool:
    """Whether Snowball takes ``word`` for a noun with the article (its ``Checks1``),
    and so leaves a final ``ه`` on it."""
    if word.startswith(("\u0628\u0627\u0644", "\u0643\u0627\u0644")):  # بال كال
        return len(word) > 4
    if word.startswith(("\u0627\u0644", "\u0644\u0644")):  # ال لل
        return len(word) > 3
    return False


@functools.cache
def _snowball_arabic() -> Any:
    """Snowball's Arabic stemmer class, imported when the first Arabic word
    comes (importing ``snowballstemmer`` loads all its languages: 25 ms).

    The pure-Python class, not PyStemmer's even when installed, so a word
    always stems the same way; a new one for each word, as it keeps state.
    """
    from snowballstemmer.arabic_stemmer import ArabicStemmer

    return ArabicStemmer
