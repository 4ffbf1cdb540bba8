"""`planoai obs`: LLM calls read from the trace collector's store, priced from a catalog, summarized."""
