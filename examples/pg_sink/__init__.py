"""A downstream service: keeps articles and their entities in PostgreSQL (psycopg 3),
idempotent under redelivery. Imports from the pipeline only pipeline.streams,
pipeline.models, pipeline.settings and pipeline.logs, like any consumer would."""
