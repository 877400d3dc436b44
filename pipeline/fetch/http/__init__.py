"""The guarded HTTP client shared by everything that fetches: SSRF guard on every connection,
a total deadline, a size cap on decoded bodies, checked redirects. Never imports Redis, the
queue, feed parsing or enrichment."""
