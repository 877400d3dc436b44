"""Feeds: the feed list, polling, scheduling, health and parsing; new items go to the queue.
Never imports enrichment (spaCy) or the workers."""
