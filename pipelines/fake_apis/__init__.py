"""Local HTTP servers that speak each CRM's documented API (paging, rate limits, failures, deletions): the
test suite and the benchmark sync against them, never against the internet."""
