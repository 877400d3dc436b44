"""Hypothesis settings for the property tests: modest by default, so CI stays fast;
``PIPELINE_PROPERTY_PROFILE=deep`` runs many more examples when hunting for bugs.

A named object, not ``settings.load_profile``: loading a profile would change the other
test modules' hypothesis settings too.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["NLP", "PROPERTY"]

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=_SLOW_OK, print_blob=True
)
settings.register_profile(
    "deep", max_examples=3000, deadline=None, suppress_health_check=_SLOW_OK, print_blob=True
)
_NAME = os.environ.get("PIPELINE_PROPERTY_PROFILE", "ci")
PROPERTY = settings(settings.get_profile(_NAME))
# spaCy parses each example: a fifth as many (deadline None: the first call warms caches).
NLP = settings(PROPERTY, max_examples=max(20, PROPERTY.max_examples // 5))
