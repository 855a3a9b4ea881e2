"""Payback: what a customer costs to win and what it is worth, from CRM, ad and cost exports."""

import os

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # dlt never phones home, in tests least of all
# dlt compresses the files rows pass through between its steps, each read once right away and then deleted:
# compressing them costs CPU and saves nothing.
os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
os.environ.setdefault("DATA_WRITER__COMPRESSION", "none")
# dlt keeps the files of its last load in its working folder unless told otherwise: a second copy of the rows on disk
# (~0.4 GB for a 5M-row spend export). A loaded file is deleted once its rows are in DuckDB; a failed load keeps its
# files for the retry.
os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")
