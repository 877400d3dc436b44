"""news-pipeline: a streaming news-ingest pipeline on Redis Streams and RQ."""

__version__ = "0.1.0"
