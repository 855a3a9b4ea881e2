"""Payback: what a customer costs to win and what it is worth, from CRM, ad and cost exports."""

import os

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # dlt never phones home, in tests least of all
# dlt compresses the files rows pass through between its steps, each read once right away and then deleted. For
# dict rows (API sources) gzip was most of extracting them; snappy made writing parquet a tenth slower and the load
# into DuckDB no faster (measured on export rows, which now reach dlt in a file of their own: exports/handoff.py).
os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
os.environ.setdefault("DATA_WRITER__COMPRESSION", "none")
# dlt keeps the files of its last load in its working folder unless told otherwise: a second copy of the rows on disk
# (~0.4 GB for a 5M-row spend export). A loaded file is deleted once its rows are in DuckDB; a failed load keeps its
# files for the retry.
os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")
