"""Date enrichment: what a reader of the output sees for the temporal expressions of a text."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.enrich.dates import extract_dates
from pipeline.models import DateMention

# The seed article's publication date: a Monday.
PUBLISHED = datetime(2025, 12, 1, tzinfo=UTC)
SEED = Path(__file__).parents[3] / "seeds" / "000_0f075809db5f86f0.txt"


def _dates(text: str, published: datetime | None = PUBLISHED) -> list[DateMention]:
    mentions = extract_dates(text, published)
    for m in mentions:
        assert text[m.start : m.end] == m.text
    return mentions


def _only(text: str, published: datetime | None = PUBLISHED) -> DateMention:
    mentions = _dates(text, published)
    assert len(mentions) == 1, mentions
    return mentions[0]


@pytest.mark.parametrize(
    ("text", "expression", "value"),
    [
        ("The deal was reached, his office said Saturday.", "Saturday", "2025-11-29"),
        ("Biden said on Thursday there had been progress.", "Thursday", "2025-11-27"),
        ("Biden, who will leave office on January 20, spoke.", "January 20", "2026-01-20"),
        ("It began with the October 7, 2023 attack on Israel.", "October 7, 2023", "2023-10-07"),
        ("Negotiations resumed last weekend in Qatar.", "last weekend", "2025-W48-WE"),
        ("The minister said Monday that talks had failed.", "Monday", "2025-12-01"),
    ],
)
def test_seed_cases_resolve_against_the_publication_date(
    text: str, expression: str, value: str
) -> None:
    """The issue's seed cases, published on Monday 2025-12-01."""
    mention = _only(text)
    assert (mention.text, mention.type, mention.value) == (expression, "DATE", value)


def test_a_duration_with_a_modifier_keeps_it() -> None:
    """'for more than a year' is P1Y, more than."""
    mention = _only("The United States has for more than a year been mediating talks.")
    assert (mention.text, mention.type, mention.value, mention.mod) == (
        "more than a year",
        "DURATION",
        "P1Y",
        "MORE_THAN",
    )


@pytest.mark.parametrize(
    "text",
    [
        "The attack resulted in the deaths of 1,208 people.",
        "Militants took 251 hostages and 94 remain in Gaza.",
        "The fund is worth $60 billion after 2,000 new investors joined.",
        "About 1500 soldiers and 2000 police were deployed.",
        "The Boeing 737 and the Airbus A380 flew at 30,000 feet.",
    ],
)
def test_numbers_that_are_not_times_are_never_dates(text: str) -> None:
    """Counts, prices and model numbers give no date."""
    assert _dates(text) == []


def test_the_seed_article_gives_exactly_its_dates() -> None:
    """Every temporal expression of the seed article, and nothing else."""
    text = SEED.read_text(encoding="utf-8")
    found = [(m.text, m.type, m.value, m.mod) for m in _dates(text)]
    assert found == [
        ("2025-12-01", "DATE", "2025-12-01", None),
        ("Saturday", "DATE", "2025-11-29", None),
        ("current", "DATE", "PRESENT_REF", None),
        ("more than a year", "DURATION", "P1Y", "MORE_THAN"),
        ("last weekend", "DATE", "2025-W48-WE", None),
        ("currently", "DATE", "PRESENT_REF", None),
        ("October 7, 2023", "DATE", "2023-10-07", None),
        ("January 20", "DATE", "2026-01-20", None),
        ("Thursday", "DATE", "2025-11-27", None),
    ]


@pytest.mark.parametrize(
    ("text", "published", "expression", "type_", "value", "mod"),
    [
        ("Sales rose in 2009.", None, "2009", "DATE", "2009", None),
        (
            "It happened in early December.",
            "2013-03-22",
            "early December",
            "DATE",
            "2012-12",
            "START",
        ),
        (
            "Prices fell over the last week.",
            "2013-03-22",
            "the last week",
            "DATE",
            "2013-W11",
            None,
        ),
        ("We travelled last summer.", "2013-03-22", "last summer", "DATE", "2012-SU", None),
        (
            "The storm hit Sunday night.",
            "2013-03-22",
            "Sunday night",
            "TIME",
            "2013-03-17TNI",
            None,
        ),
        ("It took a month to build.", None, "a month", "DURATION", "P1M", None),
        ("It lasted several days.", None, "several days", "DURATION", "PXD", None),
        ("They play each season.", None, "each season", "SET", "P1Y", None),
        ("Rates are now lower.", None, "now", "DATE", "PRESENT_REF", None),
        ("He is currently abroad.", None, "currently", "DATE", "PRESENT_REF", None),
        ("Music of the 1990s returned.", None, "the 1990s", "DATE", "199", None),
        ("Prices rose recently.", None, "recently", "DATE", "PAST_REF", None),
        ("We must plan for the future.", None, "the future", "DATE", "FUTURE_REF", None),
        ("Built in the 19th century.", None, "the 19th century", "DATE", "18", None),
    ],
)
def test_values_follow_the_granularity_of_the_text(
    text: str, published: str | None, expression: str, type_: str, value: str, mod: str | None
) -> None:
    """The issue's examples: a year stays a year, a season a season, and so on."""
    when = None if published is None else datetime.fromisoformat(published)
    mention = _only(text, when)
    assert (mention.text, mention.type, mention.value, mention.mod) == (
        expression,
        type_,
        value,
        mod,
    )


@pytest.mark.parametrize(
    ("text", "expression", "value"),
    [
        ("Profit rose in the third quarter.", "the third quarter", "2025-Q3"),
        ("Third-quarter profit rose.", "Third-quarter", "2025-Q3"),
        (
            "Results for the fourth quarter of 2024 were weak.",
            "the fourth quarter of 2024",
            "2024-Q4",
        ),
        ("Sales in fiscal 2024 fell.", "fiscal 2024", "2024"),
        ("Sales in the first half of 2024 fell.", "the first half of 2024", "2024-H1"),
        ("He left last year.", "last year", "2024"),
        ("She will return next month.", "next month", "2026-01"),
        ("Talks continue this week.", "this week", "2025-W49"),
        ("He resigned last month.", "last month", "2025-11"),
        ("Markets rallied yesterday.", "yesterday", "2025-11-30"),
        ("The vote is tomorrow.", "tomorrow", "2025-12-02"),
        ("They met two weeks ago.", "two weeks ago", "2025-11-17"),
        ("The firm was founded two years ago.", "two years ago", "2023"),
        ("Protests grew in the late 1980s.", "the late 1980s", "198"),
        ("He was born on Christmas Day 1990.", "Christmas Day 1990", "1990-12-25"),
        ("He arrived in June last year.", "June last year", "2024-06"),
        ("The case was filed on 2024-03-05.", "2024-03-05", "2024-03-05"),
        ("The war ended in the spring of 1945.", "the spring of 1945", "1945-SP"),
        ("The deal closed on Nov 29.", "Nov 29", "2025-11-29"),
        ("Music of the nineties is back.", "the nineties", "199"),
        ("Music of the early 90s is back.", "the early 90s", "199"),
        ("The bonds mature on 11/1/27.", "11/1/27", "2027-11-01"),
        ("The deal closes by year-end.", "year-end", "2025"),
    ],
)
def test_calendar_units_resolve_to_their_own_granularity(
    text: str, expression: str, value: str
) -> None:
    """Quarters, halves, fiscal years, weeks, months, decades and holidays."""
    mention = _only(text)
    assert (mention.text, mention.value) == (expression, value)


@pytest.mark.parametrize(
    ("text", "expression", "type_", "value"),
    [
        ("The blast occurred at 10:35 a.m. local time.", "10:35 a.m.", "TIME", "2025-12-01T10:35"),
        ("Polls close at 10 p.m. Wednesday.", "10 p.m. Wednesday", "TIME", "2025-11-26T22:00"),
        ("He spoke this morning.", "this morning", "TIME", "2025-12-01TMO"),
        ("Fighting went on last night.", "last night", "TIME", "2025-11-30TNI"),
        ("The paper is published daily.", "daily", "SET", "P1D"),
        ("The board meets every Thursday.", "every Thursday", "SET", "XXXX-WXX-4"),
        ("Flights leave on Tuesday nights.", "Tuesday nights", "SET", "XXXX-WXX-2TNI"),
        ("It costs $40 billion a year.", "a year", "SET", "P1Y"),
        ("Talks lasted 5 1/2 hours.", "5 1/2 hours", "DURATION", "PT5H30M"),
        ("A two-year contract was signed.", "two-year", "DURATION", "P2Y"),
        ("Prices rose over the past two months.", "the past two months", "DURATION", "P2M"),
        ("It takes at least 30 days.", "at least 30 days", "DURATION", "P30D"),
        ("It will take a couple of years.", "a couple of years", "DURATION", "P2Y"),
        (
            "Posted 2025-12-01T10:30:00Z by staff.",
            "2025-12-01T10:30:00Z",
            "TIME",
            "2025-12-01T10:30Z",
        ),
    ],
)
def test_times_sets_and_durations(text: str, expression: str, type_: str, value: str) -> None:
    """Times of day carry the day; sets and durations carry their period."""
    mention = _only(text)
    assert (mention.text, mention.type, mention.value) == (expression, type_, value)


@pytest.mark.parametrize(
    "text",
    [
        "Iraq imports about three-quarters of its food.",
        "Funds account for more than a quarter of the market.",
        "A second group of companies joined.",
        "The 6-year-old boy and his 44-year-old father were rescued.",
        "The Nasdaq and the Dow rose after a daily newspaper reported it.",
        "Crowds of 90s kids cheered.",
    ],
)
def test_words_that_only_look_like_times_are_not_dates(text: str) -> None:
    """Fractions, ordinals, ages and adjectives are not temporal expressions."""
    assert _dates(text) == []


def test_the_year_ended_is_a_year_long_period() -> None:
    """'the year ended March 31' is P1Y, and March 31 a date."""
    found = [(m.text, m.type, m.value) for m in _dates("Profit for the year ended March 31 rose.")]
    assert found == [("the year", "DURATION", "P1Y"), ("March 31", "DATE", "2025-03-31")]


def test_a_future_sentence_looks_ahead_for_a_weekday() -> None:
    """'will meet on Friday' is the coming Friday; 'met on Friday' the last one."""
    assert _only("The leaders will meet on Friday.").value == "2025-12-05"
    assert _only("The leaders met on Friday.").value == "2025-11-28"


def test_a_month_named_without_a_year_is_the_nearest_in_the_tense() -> None:
    """A December article: 'in March' ahead in a future sentence, behind in a past one."""
    assert _only("The summit will be held in March.").value == "2026-03"
    assert _only("The summit was held in March.").value == "2025-03"
    assert _only("Elections are due on Jan. 14.").value == "2026-01-14"


def test_without_a_publication_date_unknowable_parts_stay_unknown() -> None:
    """No anchor: XXXX for the year, but explicit dates keep theirs."""
    found = [
        (m.text, m.value)
        for m in _dates(
            "He said Saturday he will leave office on January 20, as agreed on October 7, 2023.",
            None,
        )
    ]
    assert found == [
        ("Saturday", "XXXX-XX-XX"),
        ("January 20", "XXXX-01-20"),
        ("October 7, 2023", "2023-10-07"),
    ]
    assert _only("It rose last year.", None).value == "XXXX"


def test_two_counts_in_a_row_are_not_one_number() -> None:
    """'three one-day matches' has a one-day duration, not a four-day one."""
    assert [(m.text, m.value) for m in _dates("He played three one-day matches.")] == [
        ("one-day", "P1D")
    ]


def test_an_expression_never_runs_across_lines() -> None:
    """'24' ending one line is not the day of 'July 1996' on the next."""
    found = [(m.text, m.value) for m in _dates("The score was 24\nJuly 1996 was hot.")]
    assert found == [("July 1996", "1996-07")]


def test_offsets_are_python_string_indices() -> None:
    """Characters outside the BMP before a date do not shift its offsets."""
    text = "😀 Émile 😀 said Saturday."
    mention = _only(text)
    assert text[mention.start : mention.end] == "Saturday"
    assert mention.start == text.index("Saturday")


def test_a_long_run_on_text_takes_linear_time() -> None:
    """A 130 kB text with no sentence end is read in well under a second per 100 kB."""
    text = (SEED.read_text(encoding="utf-8").replace(".", ",").replace("\n", " ") + " ") * 60
    started = time.perf_counter()
    mentions = _dates(text)
    assert len(mentions) == 540
    assert time.perf_counter() - started < 2.0


def test_an_empty_or_dateless_text_gives_nothing() -> None:
    """No expressions, no dates."""
    assert _dates("") == []
    assert _dates("Cats sleep a lot and may wander.") == []


_WORDS = [
    "said",
    "will",
    "on",
    "the",
    "last",
    "next",
    "this",
    "early",
    "late",
    "mid-",
    "more than",
    "about",
    "Monday",
    "Friday",
    "night",
    "January",
    "Sept.",
    "Nov",
    "20",
    "2023",
    "'98",
    "1990s",
    "year",
    "years",
    "week",
    "weekend",
    "quarter",
    "third",
    "fiscal",
    "ago",
    "now",
    "a",
    "two",
    "twenty-four",
    "hours",
    "10:30",
    "p.m.",
    "noon",
    "every",
    "daily",
    "summer",
    "Christmas",
    ",",
    ".",
    "\n",
    "-",
    "$",
    "1,208",
    "9999",
    "0001",
    "31",
    "Feb. 30",
    "Q4",
    "1/2",
]


@given(
    words=st.lists(st.sampled_from(_WORDS), max_size=40),
    published=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
)
@settings(max_examples=300, deadline=None)
def test_any_text_and_publication_date_give_well_formed_mentions(
    words: list[str], published: datetime | None
) -> None:
    """Never an exception, even next to year 1 or 9999; offsets always slice the text."""
    text = " ".join(words)
    previous_end = 0
    for m in extract_dates(text, published):
        assert text[m.start : m.end] == m.text
        assert m.start >= previous_end
        assert m.value
        previous_end = m.end
