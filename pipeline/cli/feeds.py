"""``pipeline fetch``, ``pipeline schedule``, ``pipeline feeds``: feed commands."""
