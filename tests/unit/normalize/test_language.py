"""Language identification: ISO 639-1 codes; None when there is too little to judge."""

from __future__ import annotations

import pytest

from pipeline.normalize.language import detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The government said on Monday that talks would resume next week in Doha.", "en"),
        (
            "Der Bundeskanzler hat am Montag in Berlin gesagt, dass die Regierung handeln will.",
            "de",
        ),
        ("Le président de la République a annoncé lundi une réforme des retraites.", "fr"),
        ("El gobierno anunció el lunes que las negociaciones continuarán la próxima semana.", "es"),
        ("Израильский премьер-министр направил делегацию в Катар для переговоров.", "ru"),
        ("رئيس الوزراء الإسرائيلي أرسل وفدا إلى قطر لإجراء مفاوضات بشأن الرهائن.", "ar"),
    ],
)
def test_languages_are_identified(text: str, code: str) -> None:
    """A sentence of news prose is enough to tell the language."""
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ["", "Hello", "OK!", "12345 67890 2025-12-01 !!! ??? 42 % 3.5"])
def test_too_little_text_gives_none(text: str) -> None:
    """A word or some numbers are no basis for a guess."""
    assert detect_language(text) is None


def test_long_text_is_judged_on_its_opening() -> None:
    """Only the opening is sampled: a long English article with a foreign tail is English."""
    text = "The talks resumed in Doha on Monday, officials said. " * 20 + "Die Gespräche. " * 500
    assert detect_language(text) == "en"
