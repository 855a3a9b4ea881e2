"""The generic export source: the file contract, the streaming reader and the dlt source."""
