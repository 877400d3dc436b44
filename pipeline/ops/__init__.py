"""Operator tools: stats, metrics, a local Redis, dead-letter retry. Never imports HTTP, feed
parsing or enrichment (spaCy): every worker serves metrics, and must stay light."""
