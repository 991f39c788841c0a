"""The one text normaliser for uniqueness and duplicate detection, and mixed-script checks.

Two strings that a person reads as the same thing get the same ``text_key``: fullwidth
``Ａｃｍｅ`` and ``Acme``, a decomposed ``e`` + combining acute and a composed ``é``, a name
with a zero-width space, soft hyphen or byte-order mark in it and one without, a no-break
space and a space, ``ACME`` and ``acme``. Every unique key column (``accounts.name_key``,
``contacts.email_key`` …), every duplicate check (services, imports, lead conversion, the
web form) and the search index are built from it, so they all agree on what "the same" is.

What NFKC and case folding cannot join are letters of another alphabet drawn alike (Cyrillic
``а`` and Latin ``a``). ``mixed_scripts`` finds words that mix alphabets, which is how such
look-alikes are made (``аdmin``): emails and user names that do are refused, record names
are flagged.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing but are not in the Cf (format) category: the combining
# grapheme joiner, Hangul fillers, Mongolian vowel separator's neighbours, variation
# selectors (Unicode's Default_Ignorable_Code_Point set, less the Cf ones).
_IGNORABLE = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0}
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)
_SPACES = re.compile(r"\s+")

# Script groups a single word may combine without being a look-alike (UTS #39's "highly
# restrictive" level): Japanese, Chinese with Bopomofo, Korean, each with Latin.
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_SCRIPT_ALIASES = {"CJK": "HAN"}
# first words of letter names that do not name a script
_NOT_SCRIPTS = frozenset({"MODIFIER", "KATAKANA-HIRAGANA", "FULLWIDTH", "HALFWIDTH", "SMALL"})


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or ord(ch) in _IGNORABLE


def clean_text(value: str) -> str:
    """``value`` in NFKC with invisible characters removed and runs of whitespace of any
    kind (no-break, ideographic, tabs, line breaks) made one space, trimmed; case kept.
    What search indexes and what an email is stored as."""
    text = unicodedata.normalize("NFKC", value)
    if not text.isascii():
        text = "".join(ch for ch in text if not _invisible(ch))
    return _SPACES.sub(" ", text).strip()


def text_key(value: str | None) -> str | None:
    """The key two values must not share to be told apart (None stays None, blank is None).

    NFKC, invisible characters removed, whitespace collapsed and trimmed, case folded (and
    NFKC again: case folding can undo it)."""
    if value is None:
        return None
    if value.isascii():
        key = _SPACES.sub(" ", value).strip().lower()
    else:
        key = unicodedata.normalize("NFKC", clean_text(value).casefold())
    return key or None


def _script(ch: str) -> str | None:
    """The script of a letter, from its Unicode name (``CYRILLIC SMALL LETTER A`` ->
    ``CYRILLIC``); None for what is not a letter (digits, marks, punctuation)."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    try:
        first = unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return None
    if first in _NOT_SCRIPTS:
        return None
    return _SCRIPT_ALIASES.get(first, first)


def word_scripts(word: str) -> set[str]:
    return {s for s in map(_script, word) if s is not None}


def _mixes(scripts: set[str]) -> bool:
    if len(scripts) < 2:
        return False
    return not any(scripts <= allowed for allowed in _ALLOWED_MIXES)


_WORD_SPLIT = re.compile(r"[^\w]+|_")


def mixed_scripts(value: str | None) -> list[tuple[str, list[str]]]:
    """The words of ``value`` that mix alphabets, each with its scripts:
    ``"аdmin@demo.nexa"`` -> ``[("аdmin", ["CYRILLIC", "LATIN"])]``. Words are split at
    anything that is not a letter or digit (spaces, ``@``, ``.``, ``-``), so ``Сбербанк
    Tech`` and ``иван@example.com`` are fine; ASCII text never mixes."""
    if not value or value.isascii():
        return []
    found = []
    for word in _WORD_SPLIT.split(clean_text(value)):
        scripts = word_scripts(word)
        if _mixes(scripts):
            found.append((word, sorted(scripts)))
    return found


def mixed_scripts_message(value: str | None) -> str | None:
    """``"mixes scripts (CYRILLIC, LATIN) in 'аdmin'"``, or None when nothing mixes."""
    found = mixed_scripts(value)
    if not found:
        return None
    word, scripts = found[0]
    names = ", ".join(s.title() for s in scripts)
    return f"mixes scripts ({names}) in '{word[:40]}': letters of one alphabet per word"


def script_flags(values: dict[str, str | None]) -> list[dict[str, str]]:
    """A ``mixed_scripts`` flag for each field whose value mixes alphabets within a word:
    record names are accepted but flagged (a company may really write its name so; a
    look-alike of another record's name usually does)."""
    flags = []
    for field, value in values.items():
        message = mixed_scripts_message(value)
        if message:
            flags.append({"field": field, "code": "mixed_scripts", "message": message})
    return flags
