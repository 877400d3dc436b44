"""The status page (``pipeline web``): a read-only, server-rendered view of what the pipeline
is doing, from Redis alone. Never writes to Redis, never imports HTTP clients, feed parsing,
spaCy, the producers or the workers; serves no asset from outside the machine."""
