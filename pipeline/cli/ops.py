"""``pipeline tail``, ``consume``, ``stats``, ``dead``, ``health``."""
