"""Enrichment stages: named entities and temporal expressions. Pure: never imports Redis,
the queue, HTTP or the pipeline's I/O parts.

``Enricher`` runs both over a batch with one ``nlp.pipe`` call.
"""

from pipeline.enrich.enricher import Enricher, EnrichInput, Enrichment

__all__ = ["EnrichInput", "Enricher", "Enrichment"]
