"""Enrichment on arbitrary text: dates and entity mentions always point at the text they
name, and nothing escapes the date grammar or the entity logic."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from pipeline.enrich.dates import extract_dates
from pipeline.enrich.enricher import Enricher, EnrichInput
from tests.property.profiles import NLP, PROPERTY

_DATE_WORDS = st.sampled_from(
    [
        "on", "Tuesday", "tuesday", "last", "next", "week", "weekend", "the", "following",
        "month", "May", "may", "2025", "1999", "'99", "0", "31", "29", "February", "Feb.", "of",
        "early", "mid-", "late", "1990s", "the 90s", "ago", "two", "years", "3", "days", "a.m.",
        "12:30", "noon", "tonight", "Q3", "fiscal", "year", "Christmas", "Easter", "summer",
        "since", "until", "from", "to", "-", "–", "/", "2025-11-29", "29/11/2025", "11/29",
        "every", "each", "decade", "century", "21st", "9999", "10000", "Sept", "Sept.", "later",
        "\n\n", ",", ".", "(", ")", "İ", "ß", "\u00a0", "ﬁ", "Ⅻ", "٣", "²",
    ]
)  # fmt: skip
_DATE_TEXT = st.lists(st.one_of(_DATE_WORDS, st.text(max_size=4)), max_size=40).map(" ".join)
_PUBLISHED = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(UTC)),
    st.sampled_from([datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]),
)
_NAME_WORDS = st.sampled_from(
    [
        "Barack Obama", "Obama", "OBAMA", "Mr. Obama", "obama", "Apple", "Apple Inc.", "apple",
        "United States", "the United States", "U.S.", "US", "Israel", "Hamas", "Gaza", "Qatar",
        "the United Nations", "UN", "U.N.", "Reuters", "AFP", "Jerusalem", "JERUSALEM:",
        "Angela Merkel", "Merkel's", "New York", "New York-based", "Czech Republic", "Czechia",
        "said", "met", "in", "and", "with", "on Tuesday", ".", ",", "\n\n", "'s", "’s", "(", ")",
        "Dr.", "Prof.", "Jr.", "Ã©", "é", "İstanbul", "Zürich", "\u00a0", "“", "”", "-",
    ]
)  # fmt: skip
_NAME_TEXT = st.lists(st.one_of(_NAME_WORDS, st.text(max_size=3)), max_size=30).map(" ".join)


@PROPERTY
@given(text=_DATE_TEXT, published=_PUBLISHED)
def test_every_date_slices_to_its_own_text(text: str, published: datetime | None) -> None:
    """No exception at any anchor (year 1, year 9999); each mention's offsets give back its
    text, in order, without overlap, with a value."""
    previous_end = 0
    for mention in extract_dates(text, published):
        assert text[mention.start : mention.end] == mention.text
        assert previous_end <= mention.start < mention.end
        assert mention.value and mention.type in ("DATE", "TIME", "DURATION", "SET")
        previous_end = mention.end


@NLP
@given(text=_NAME_TEXT)
# The model ran two names together over a run of spaces: the mention spanned "Barack Obama
# Barack Obama" with two spaces while its name had one (mentions are now cut at whitespace
# tokens). The second: the same over a paragraph break, as in normalised text.
@example(text="Barack Obama  Barack Obama")
@example(text="Talks with Barack Obama\n\nBarack Obama said")
# A place read with its "the" and then relabelled a person kept "the" in its span.
@example(text="Dr. the United States")
def test_every_entity_mention_slices_to_its_name_or_an_alias(enricher: Enricher, text: str) -> None:
    """Each mention's text[start:end] is the entity's name or one of its aliases (ignoring
    case; a place's span keeps its "the", as documented: "the United States"), and
    enrichment reports no error."""
    result = enricher.enrich([EnrichInput(text=text)])[0]
    assert result.error is None, result.error
    for entity in result.entities:
        names = {entity.name.casefold(), *(alias.casefold() for alias in entity.aliases)}
        if entity.label == "LOCATION":
            names |= {f"the {name}" for name in names}
        for start, end in entity.mentions:
            assert 0 <= start < end <= len(text)
            assert text[start:end].casefold() in names, (text[start:end], entity)
