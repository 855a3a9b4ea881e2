"""Payback: what a customer costs to win and what it is worth, from CRM, ad and cost exports."""

import os

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # dlt never phones home, in tests least of all
# dlt gzips the files an API source's records pass through between its steps, each read once right away: most of
# extracting dict rows went to compressing them (the parquet that exports load has its own compression).
os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
