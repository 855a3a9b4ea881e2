"""Payback: what a customer costs to win and what it is worth, from CRM, ad and cost exports."""

import os

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # dlt never phones home, in tests least of all
# dlt compresses the files rows pass through between its steps, each read once right away and then deleted. For
# dict rows (API sources) gzip was most of extracting them; snappy made writing parquet a tenth slower and the load
# into DuckDB no faster (measured on export rows, which now reach dlt in a file of their own: exports/handoff.py).
os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
os.environ.setdefault("DATA_WRITER__COMPRESSION", "none")
