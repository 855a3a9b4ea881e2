"""Payback: what a customer costs to win and what it is worth, from CRM, ad and cost exports."""

import os

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # dlt never phones home, in tests least of all
# dlt compresses the files rows pass through between its steps, each read once right away and then deleted. For
# dict rows (API sources) gzip was most of extracting them; for arrow rows (exports) snappy made writing parquet a
# tenth slower and the load into DuckDB no faster (dictionary encoding keeps the plain files small).
os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
os.environ.setdefault("DATA_WRITER__COMPRESSION", "none")
