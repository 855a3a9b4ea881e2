"""The channel map: rules that turn what a source says about spend, a touch or a contact's origin (its ad platform,
campaign name, UTM source and medium, or a channel name of its own) into one of our channels, so that spend and
customers meet on the same names. Payback ships one (`transforms/channel_map.csv`); CHANNEL_MAP_FILE replaces it with
the user's own, of the same columns (docs/channels.md). The SQL reads the file (`staging.channel_map`); this module
checks it when the settings are read, so that a bad map stops the program at start, naming the line.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from pipelines.warehouse import TRANSFORMS_DIR

SHIPPED = TRANSFORMS_DIR / "channel_map.csv"
CHANNEL = "channel"
CONDITIONS = ("platform", "campaign_pattern", "utm_source", "utm_medium", "label")
COLUMNS = (CHANNEL, *CONDITIONS)


def normalised(value: str) -> str:
    """A name as every source's is compared: lower case, each run of other characters than letters and digits one
    `_`, none at either end (`Paid Search` = `paid-search` = `paid_search`). The SQL macro `channel_name` does the
    same."""
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


def check(path: Path) -> int:
    """The number of rules of a channel map file; ValueError naming the line and what to fix when it is not one."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot be read as a UTF-8 text file ({error.__class__.__name__})") from None
    reader = csv.reader(text.splitlines())
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        raise ValueError(f"needs the columns {', '.join(COLUMNS)} (comma-separated, with a header line)"
                         + (f"; missing {', '.join(missing)}" if missing else "")
                         + (f"; unknown {', '.join(unknown)}" if unknown else ""))
    rules, con = 0, duckdb.connect()  # patterns are compiled by DuckDB's own engine (RE2), as the SQL will
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise ValueError(f"line {line} has {len(cells)} values for {len(header)} columns")
        rule = dict(zip(header, (cell.strip() for cell in cells), strict=True))
        if not normalised(rule[CHANNEL]):
            raise ValueError(f"line {line} gives no channel")
        if not any(rule[name] for name in CONDITIONS):
            raise ValueError(f"line {line} has no condition: fill at least one of {', '.join(CONDITIONS)}")
        if rule["campaign_pattern"]:
            try:
                con.execute("SELECT regexp_matches('', ?)", [rule["campaign_pattern"]])
            except duckdb.Error as error:
                reason = str(error).split(": ", 1)[-1]
                raise ValueError(f"line {line}: campaign_pattern {rule['campaign_pattern']!r} is not a regular "
                                 f"expression ({reason})") from None
        rules += 1
    con.close()
    return rules
