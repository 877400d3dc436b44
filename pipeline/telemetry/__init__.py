"""What the pipeline records for operators as it works: latency histograms and per-minute
counts, kept in Redis so every process (forked jobs, the page fetcher, a replay) adds to one
figure. Imports only redis and settings: never HTTP, feeds, spaCy, the queue, the workers or
the operator tools (which read these records)."""
