"""Example downstream services built on pipeline.streams (not part of the pipeline)."""
