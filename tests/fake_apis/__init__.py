"""Local HTTP servers that speak each API source's documented API (paging, rate limits, failures, deletions,
OAuth): the test suite and the benchmark sync against them, never against the internet."""
