"""Feed bodies (RSS, Atom, RDF, JSON Feed) to RawItems, with hostile markup neutralised.
Pure: never imports Redis, the queue or HTTP."""
