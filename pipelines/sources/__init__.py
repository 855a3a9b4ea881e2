"""CRM and ad platform sources, one package each: the dlt source up front, API quirks in helpers, constants in
settings."""
