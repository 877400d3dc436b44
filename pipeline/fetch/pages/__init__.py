"""Article pages: which items need their page, the page queue (Redis), the polite asyncio
fetcher (robots.txt, per-host limits) and body extraction. Never imports enrichment (spaCy)
or the workers; the queue, routing and records modules never import HTTP either, so
producers and operator tools can use them without the HTTP stack."""
