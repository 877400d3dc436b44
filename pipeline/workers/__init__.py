"""RQ job functions (thin: validate, normalise, enrich, one atomic write) and worker start-up.
The job modules never import HTTP or feed code: NER never waits on the network (start-up may
spawn the page fetcher beside the worker, in its own process)."""
