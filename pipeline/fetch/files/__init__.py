"""Reading files and folders into RawItems (walk, decode, JSONL, seed format, watch) and
handing them to the queue. Never imports HTTP, feed or enrichment code."""
