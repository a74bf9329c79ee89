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
import unicodedata
from typing import Any

# -- Tokens -------------------------------------------------------------------


def _marks() -> tuple[str, str]:
    """The combining marks (Mn, Mc, Me) of this Python's Unicode, as two
    character-class bodies: those of the Basic Multilingual Plane, and the rest.

    Marks lie in planes 0, 1 and 14 only (planes 2 and 3 hold ideographs,
    15 and 16 private use; ``tests/test_arabic.py`` checks the whole range):
    scanning those takes about 15 ms, not 250.
    """
    category = unicodedata.category
    marks = [
        code
        for block in (range(0x300, 0x20000), range(0xE0000, 0xE1000))
        for code in block
        if category(chr(code))[0] == "M"
    ]
    ranges: list[list[int]] = []
    for code in marks:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])

    def body(selected: list[list[int]]) -> str:
        return "".join(
            re.escape(chr(first)) + ("" if first == last else "-" + re.escape(chr(last)))
            for first, last in selected
        )

    return (
        body([r for r in ranges if r[1] < 0x10000]),
        body([r for r in ranges if r[0] >= 0x10000]),
    )


_BMP_MARKS, _ASTRAL_MARKS = _marks()
MARKS = _BMP_MARKS + _ASTRAL_MARKS
"""The combining marks, as the body of a regular expression's character class."""

_WORD = r"\w\*"
"""Whoosh's word characters: its default tokenizer is ``[\\w\\*]+(\\.?[\\w\\*]+)*``."""

# A piece of a token: a word character, then word characters and marks. The
# marks outside the BMP are a list of ranges that Python's regex engine tries
# one by one; in the run's own class every space between words would try them
# all (that made tokenizing English 60% slower), so they are tried only for a
# character outside the BMP, once at a run's end. The quantifiers are
# possessive (Python 3.11): nothing follows a token, so giving characters
# back never finds another match, and not trying is a tenth faster.
_PIECE_TAIL = (
    rf"[{_WORD}{_BMP_MARKS}]*+"
    rf"(?:(?=[\U00010000-\U0010ffff])[{_ASTRAL_MARKS}]++[{_WORD}{_BMP_MARKS}]*+)*+"
)
_PIECE = rf"[{_WORD}]{_PIECE_TAIL}"

TOKEN = re.compile(rf"{_PIECE}(?:\.?{_PIECE})*+")
"""A word as the index's tokenizer cuts it: one definition for the analyzer and the marks.

The same tokens as ``[\\w*][\\w*M]*(?:\\.?[\\w*][\\w*M]*)*`` with ``M`` the
combining marks, written for speed (``tests/test_arabic.py`` checks both agree).
"""

TOKEN_REST = re.compile(rf"{_PIECE_TAIL}(?:\.?{_PIECE})*+")
"""The rest of a token from any point after its first character: ``TOKEN``'s
end, found from inside it."""

_WORD_CHARACTER = re.compile(rf"[{_WORD}]")
_MARK = re.compile(rf"[{MARKS}]")


def is_mark(character: str) -> bool:
    """Whether ``character`` is a combining mark (a token takes it in after a word character)."""
    return _MARK.fullmatch(character) is not None


def inside_token(text: str, position: int) -> bool:
    """Whether the token running up to ``position`` would take in the character
    there: then no token starts at ``position``.

    The character before is a word character, or a mark that follows one, or
    a dot after either (a dot joins two runs of a token: ``U.S``).
    """
    before = position - 1
    if before > 0 and text[before] == ".":
        before -= 1
    while before >= 0 and _MARK.match(text, before):
        before -= 1
    return before >= 0 and _WORD_CHARACTER.match(text, before) is not None


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
