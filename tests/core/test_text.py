"""The one text normaliser (nexa.core.text): what uniqueness and duplicate checks compare."""

from __future__ import annotations

import pytest

from nexa.core.text import clean_text, mixed_scripts, mixed_scripts_message, text_key


@pytest.mark.parametrize(
    "variant",
    [
        "Ａｃｍｅ Ｉｎｃ",  # fullwidth
        "Acme\u00a0Inc",  # no-break space
        "Acme\u3000Inc",  # ideographic space
        "Ac\u200bme Inc",  # zero-width space
        "Ac\u200dme Inc",  # zero-width joiner
        "Ac\u00adme Inc",  # soft hyphen
        "\ufeffAcme Inc",  # byte-order mark
        "Acme\u2060 Inc",  # word joiner
        "Ac\u034fme Inc",  # combining grapheme joiner (not Cf)
        "  ACME   inc\t",  # case, runs of whitespace, trimmed
    ],
)
def test_look_alikes_share_a_key(variant: str) -> None:
    assert text_key(variant) == text_key("Acme Inc") == "acme inc"


def test_accents_written_two_ways_share_a_key() -> None:
    assert text_key("Cafe\u0301") == text_key("Café") == "café"
    assert text_key("Straße") == text_key("STRASSE")  # full case folding
    assert text_key("Café") != text_key("Cafe")  # an accent is a real difference


def test_blank_and_none() -> None:
    assert text_key(None) is None
    assert text_key(" \u200b\u00a0 ") is None
    assert clean_text(" a\u00a0\u00a0b\u200b ") == "a b"


@pytest.mark.parametrize(
    ("value", "mixed"),
    [
        ("\u0430dmin@demo.nexa", [("\u0430dmin", ["CYRILLIC", "LATIN"])]),
        ("P\u0430yPal", [("P\u0430yPal", ["CYRILLIC", "LATIN"])]),
        ("\u0430\u200bdmin", [("\u0430dmin", ["CYRILLIC", "LATIN"])]),  # invisible glue
        ("G\u03bfogle", [("G\u03bfogle", ["GREEK", "LATIN"])]),
        ("Иван Petrov", []),  # one alphabet per word
        ("иван@example.com", []),
        ("東京タワー Tokyo", []),  # Han + Katakana: one Japanese word
        ("ＡＣＭＥ", []),  # fullwidth Latin is Latin
        ("Müller-Lüdenscheidt", []),
        ("plain ascii", []),
    ],
)
def test_mixed_scripts(value: str, mixed: list[tuple[str, list[str]]]) -> None:
    assert mixed_scripts(value) == mixed


def test_mixed_scripts_message_names_the_scripts_and_word() -> None:
    message = mixed_scripts_message("\u0430dmin")
    assert message is not None and "mixes scripts (Cyrillic, Latin)" in message
    assert mixed_scripts_message("admin") is None


def test_tags_are_distinct_by_key_in_clean_form() -> None:
    from nexa.core.fields import distinct_tags

    assert distinct_tags(["VIP", "vip", "ＶＩＰ", "v\u200bip", "Renewal", "renewal "]) == [
        "VIP",
        "Renewal",
    ]
    assert distinct_tags(["ｈｏｔ"]) == ["hot"]
    with pytest.raises(ValueError, match="blank"):
        distinct_tags(["\u200b"])
    assert distinct_tags(None) is None
