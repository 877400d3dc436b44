"""RQ job functions (thin: validate, normalise, enrich, one atomic write) and worker start-up.
Never imports HTTP or feed code: NER workers never wait on the network."""
