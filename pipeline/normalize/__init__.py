"""Normalisation: ``RawItem -> Article``, pure functions, no I/O. Never imports Redis, the
queue, HTTP or enrichment.

text.py       plain or HTML in; NFC text, clean paragraphs, mojibake repaired
html.py       HTML to text (lxml), nothing executable survives
urls.py       canonical URL: case, default ports, fragment, tracking parameters
published.py  ISO 8601 / RFC 822 dates to UTC; future and pre-1900 dates flagged
dateline.py   "JERUSALEM:" / "WASHINGTON (Reuters) -" taken out of the text
language.py   ISO 639-1 language (py3langid)
title.py      the given title, or the first sentence shortened
identity.py   article id and content fingerprint (blake2b-128)
article.py    ``normalize_item``: the stage, composed of the above
"""

from pipeline.normalize.article import normalize_item

__all__ = ["normalize_item"]
