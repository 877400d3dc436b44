"""Fixtures for the property tests: the NER model, loaded once for the session."""

from __future__ import annotations

import pytest

from pipeline.enrich.enricher import Enricher
from pipeline.settings import Settings


@pytest.fixture(scope="session")
def enricher() -> Enricher:
    """One Enricher (the spaCy model loads once) for every property test."""
    return Enricher(Settings().ner_model)
