"""`payback bench`: how fast and how lean the pipeline is, side by side with DuckDB doing the same work by hand."""
