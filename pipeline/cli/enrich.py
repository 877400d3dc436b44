"""``pipeline enrich``: enrich JSON lines without Redis."""
