"""Near-duplicate signatures: normalised words -> word shingles -> MinHash -> LSH band
labels; pure CPU work. Never imports redis, rq, httpx, feedparser, or the fetch, streams,
queueing, workers, ops or enrich parts (the index itself lives in the atomic write)."""

from pipeline.similar.signature import (
    MIN_WORDS,
    NUM_PERM,
    Signature,
    estimate,
    sign,
    sign_many,
    takes_part,
)

__all__ = ["MIN_WORDS", "NUM_PERM", "Signature", "estimate", "sign", "sign_many", "takes_part"]
