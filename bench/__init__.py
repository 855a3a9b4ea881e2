"""`make bench`: how fast and how lean the pipeline is, side by side with DuckDB doing the same work by hand. Not
part of the installed package: run from the project's folder (`python -m bench --rows N`)."""
