"""Tracing: an OTLP collector that keeps spans in SQLite, and the queries `trace` and `obs` run on them."""
