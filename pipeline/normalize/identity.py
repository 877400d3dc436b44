"""Stable identity: article ids and content fingerprints (blake2b, 128 bits, hex)."""

from __future__ import annotations

from hashlib import blake2b

__all__ = ["article_id", "comparison_form", "fingerprint", "identify"]


def _digest(value: str) -> str:
    return blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def comparison_form(text: str) -> str:
    """``text`` as compared for identity: case-folded, whitespace collapsed to one space."""
    return " ".join(text.casefold().split())


def fingerprint(text: str) -> str:
    """Hash of the comparison form: equal for texts differing only in case or spacing."""
    return _digest(comparison_form(text))


def _article_id(given_id: str | None, canonical_url: str | None, form: str) -> str:
    if given_id:
        return given_id
    if canonical_url:
        return _digest("url:" + canonical_url)
    return _digest("text:" + form)


def article_id(*, given_id: str | None, canonical_url: str | None, text: str) -> str:
    """The id given by the input, else a hash of the canonical URL, else of the text."""
    return _article_id(given_id, canonical_url, comparison_form(text))


def identify(*, given_id: str | None, canonical_url: str | None, text: str) -> tuple[str, str]:
    """``(article_id(...), fingerprint(text))`` for text as ``clean_text`` returns it."""
    # Clean text has single spaces and blank-line paragraph breaks only, so its comparison
    # form needs no split/join (~45 us on a 500-word article, a tenth of the stage).
    form = text.casefold().replace("\n\n", " ")
    return _article_id(given_id, canonical_url, form), _digest(form)
