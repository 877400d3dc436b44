"""Enrichment stages: named entities and temporal expressions.

``Enricher`` runs both over a batch with one ``nlp.pipe`` call; it never touches Redis.
"""

from pipeline.enrich.enricher import Enricher, EnrichInput, Enrichment

__all__ = ["EnrichInput", "Enricher", "Enrichment"]
