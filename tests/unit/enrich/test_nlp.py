"""Loading the spaCy pipeline for NER, and re-reading ALL-CAPS lines."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.enrich.casing import recase_text, recase_word, shouted_lines
from pipeline.enrich.nlp import load_nlp
from pipeline.errors import ConfigurationError
from pipeline.settings import Settings

MODEL = Settings().ner_model


@pytest.fixture(scope="module")
def nlp() -> Any:
    """The NER-only pipeline, loaded once for the module."""
    return load_nlp(MODEL)


def _ents(doc: Any) -> list[tuple[str, str]]:
    return [(e.text, e.label_) for e in doc.ents]


def test_only_ner_runs(nlp: Any) -> None:
    """Tagger, parser and lemmatiser are not run: NER does not read them."""
    assert nlp.pipe_names == ["ner"]


def test_full_pipeline_still_available_for_comparison() -> None:
    """ner_only=False gives the model's default pipeline (the speed baseline)."""
    assert {"tagger", "parser", "ner"} <= set(load_nlp(MODEL, ner_only=False).pipe_names)


def test_unknown_model_is_a_configuration_error() -> None:
    """A PIPELINE_NER_MODEL that is not installed says so instead of downloading."""
    with pytest.raises(ConfigurationError, match="not installed"):
        load_nlp("no_such_spacy_pipeline_xyz")


def test_date_and_time_spans_stay_in_doc_ents(nlp: Any) -> None:
    """The dates stage reads DATE/TIME spans from the same Doc: they are kept."""
    doc = nlp("Joe Biden spoke in Paris on Saturday at 10 a.m. about 46,537 people.")
    labels = {label for _, label in _ents(doc)}
    assert {"DATE", "PERSON", "GPE"} <= labels


def test_caps_headline_is_read_in_ordinary_case(nlp: Any) -> None:
    """Words of a shouted headline are not all names; the article's own spelling helps."""
    text = (
        "SOCCER - JAPAN GET LUCKY WIN, CHINA IN SURPRISE DEFEAT.\n"
        "Japan began the defence of their title with a lucky win against Syria, "
        "while China suffered a surprise defeat."
    )
    doc = nlp(text)
    headline = [(text[e.start_char : e.end_char], e.label_) for e in doc.ents if e.end_char < 55]
    assert ("CHINA", "GPE") in headline
    assert not any(label in {"ORG", "PERSON", "GPE"} for t, label in headline if t != "CHINA")


def test_caps_dateline_keeps_offsets_and_date_span(nlp: Any) -> None:
    """Reading a capitals line in ordinary case moves no offset; DATE spans stay."""
    text = "LONDON 1996-08-30\nWest Indian all-rounder Phil Simmons took four for 38 on Friday."
    doc = nlp(text)
    assert ("London", "GPE") in _ents(doc)
    assert any(label == "DATE" and "1996" in t for t, label in _ents(doc))
    for ent in doc.ents:
        assert text[ent.start_char : ent.end_char].lower() == ent.text.lower()


def test_caps_lines_found_only_where_most_words_are_capitals() -> None:
    """A line with one acronym is ordinary text; a shouted line is not."""
    text = "NATO met in Brussels today.\nSTOCKS FALL AS OIL RISES\nMore text."
    assert shouted_lines(text) == ["STOCKS FALL AS OIL RISES"]


def test_recase_text_changes_case_only_in_shouted_lines() -> None:
    """Same length, same text outside capitals lines, the article's own spellings."""
    text = "JAPAN MET U.S. IN TOKYO\nNATO said Japan met the U.S. in Tokyo."
    recased = recase_text(text)
    assert recased == "Japan met U.S. in Tokyo\nNATO said Japan met the U.S. in Tokyo."
    assert len(recased) == len(text)
    assert recase_text("KİLİS AND ANKARA") == "KİLİS and Ankara"


@pytest.mark.parametrize(
    ("word", "evidence", "expected"),
    [
        ("JAPAN", {"japan": "Japan"}, "Japan"),
        ("WIN", {"win": "win"}, "win"),
        ("IN", {}, "in"),
        ("AL-AIN", {}, "Al-Ain"),
        ("U.S.", {}, "U.S."),
        ("Leeds", {}, "Leeds"),
    ],
)
def test_recase_word(word: str, evidence: dict[str, str], expected: str) -> None:
    """The article's own spelling first, function words lower, the rest Title case."""
    assert recase_word(word, evidence) == expected
