"""``pipeline replay``, ``pipeline worker``, ``pipeline demo``."""
