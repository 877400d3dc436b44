"""Identity: equal text gives equal fingerprints; ids follow the documented order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalize.identity import article_id, comparison_form, fingerprint, identify
from pipeline.normalize.text import clean_text


def test_fingerprint_ignores_case_and_spacing() -> None:
    """Texts that differ only in case or white space have one fingerprint."""
    a = fingerprint("Talks resumed in Doha.\n\nOfficials said so.")
    b = fingerprint("  talks RESUMED in   doha. Officials\tsaid so. ")
    assert a == b
    assert len(a) == 32 and int(a, 16) >= 0


def test_fingerprint_changes_with_the_words() -> None:
    """An edited text is a different text."""
    assert fingerprint("Talks resumed in Doha.") != fingerprint("Talks resumed in Cairo.")


def test_given_id_wins() -> None:
    """An id supplied by the input is used as is."""
    assert article_id(given_id="abc", canonical_url="https://e.x/", text="t") == "abc"


def test_url_id_depends_on_the_url_only() -> None:
    """Two versions of one page (edited text) keep one id."""
    one = article_id(given_id=None, canonical_url="https://e.x/a", text="first")
    two = article_id(given_id=None, canonical_url="https://e.x/a", text="second")
    assert one == two
    assert one != article_id(given_id=None, canonical_url="https://e.x/b", text="first")


def test_text_id_is_not_the_url_id_nor_the_fingerprint() -> None:
    """The 'url:' and 'text:' namespaces keep a URL and a text from ever colliding."""
    text_id = article_id(given_id=None, canonical_url=None, text="https://e.x/a")
    url_id = article_id(given_id=None, canonical_url="https://e.x/a", text="")
    assert text_id != url_id
    assert text_id != fingerprint("https://e.x/a")
    assert article_id(given_id=None, canonical_url=None, text="A  b") == article_id(
        given_id=None, canonical_url=None, text="a b"
    )


@given(st.text(alphabet="aBß İ\n\r\t\u00a0.é\u0301", max_size=60))
def test_identify_agrees_with_the_public_functions(raw: str) -> None:
    """The fast path used by the stage gives what fingerprint() and article_id() give."""
    text = clean_text(raw)
    assert identify(given_id=None, canonical_url=None, text=text) == (
        article_id(given_id=None, canonical_url=None, text=text),
        fingerprint(text),
    )
    assert comparison_form(text) == text.casefold().replace("\n\n", " ")
