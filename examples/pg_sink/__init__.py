"""A downstream service: keeps articles and their entities in PostgreSQL (psycopg 3),
idempotent under redelivery. Imports only pipeline.streams, pipeline.models and
pipeline.settings from the pipeline, like any consumer would."""
