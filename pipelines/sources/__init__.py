"""CRM and ad platform sources, one package each: the dlt source and its `SOURCE` declaration up front, API quirks
in helpers, constants and variables in settings (docs/sources.md). `registry.declared_sources()` finds them."""
