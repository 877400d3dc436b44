"""Loading the spaCy pipeline once per process, with only what NER needs.

The default English pipelines also tag, parse and lemmatise, which entity extraction
never reads: keeping only ``ner`` (and any component it listens to) roughly doubles
the speed. The tokenizer hands ALL-CAPS lines (headlines, datelines) to the model in
ordinary case, where the small model is much more reliable (``casing.py``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import structlog

from pipeline.errors import ConfigurationError

__all__ = ["NER_COMPONENTS", "load_nlp", "needed_components"]

log = structlog.get_logger()

NER_COMPONENTS = ("ner",)


def needed_components(nlp: Any, wanted: tuple[str, ...] = NER_COMPONENTS) -> set[str]:
    """The wanted components plus every component they listen to (a shared tok2vec)."""
    needed = {name for name in wanted if name in nlp.pipe_names}
    for name, component in nlp.pipeline:
        listeners = set(getattr(component, "listening_components", []) or [])
        if listeners & needed:
            needed.add(name)
    return needed


@lru_cache(maxsize=4)
def load_nlp(model_name: str, *, ner_only: bool = True) -> Any:
    """Load an installed spaCy pipeline by package name (never downloads); by default keep
    only NER, reading ALL-CAPS lines in ordinary case."""
    import spacy

    from pipeline.enrich.casing import CaseReadingTokenizer

    try:
        nlp = spacy.load(model_name)
    except OSError as exc:
        raise ConfigurationError(
            f"spaCy pipeline {model_name!r} is not installed (PIPELINE_NER_MODEL)"
        ) from exc
    if not ner_only:
        return nlp
    if "ner" not in nlp.pipe_names:
        raise ConfigurationError(f"spaCy pipeline {model_name!r} has no 'ner' component")
    keep = needed_components(nlp)
    for name in [n for n in nlp.pipe_names if n not in keep]:
        nlp.remove_pipe(name)
    nlp.tokenizer = CaseReadingTokenizer(nlp.tokenizer)
    log.info("nlp_loaded", model=model_name, components=nlp.pipe_names)
    return nlp
