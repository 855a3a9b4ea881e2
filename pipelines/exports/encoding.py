"""The text encoding of a CSV or JSON-lines export. DuckDB reads UTF-8, so a file in another encoding is read from a
UTF-8 copy, written as it streams by.

Detected cheaply: a byte order mark says UTF-8 or UTF-16 (Excel's "Unicode text"); otherwise a sample that decodes
as UTF-8 means UTF-8, and a UTF-8 file pays for that sample only; otherwise the file is Windows-1252, what Excel
writes a CSV in on a Western Windows (Latin-1 text is Windows-1252 too). Other single-byte encodings (Central
European, Cyrillic) cannot be told from it by their bytes: such a file must be saved as UTF-8.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from pathlib import Path

SAMPLE_BYTES = 64 * 1024
UTF_8, UTF_16, WINDOWS_1252 = "utf-8", "utf-16", "cp1252"
NAMES = {UTF_8: "UTF-8", UTF_16: "UTF-16", WINDOWS_1252: "Windows-1252"}
BYTE_ORDER_MARKS = ((codecs.BOM_UTF8, UTF_8), (codecs.BOM_UTF16_LE, UTF_16), (codecs.BOM_UTF16_BE, UTF_16))


class EncodingError(ValueError):
    """The file is neither UTF-8, UTF-16 nor Windows-1252."""


def detect(path: Path) -> str:
    """The file's encoding, from its first SAMPLE_BYTES."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    for mark, encoding in BYTE_ORDER_MARKS:
        if sample.startswith(mark):
            return encoding
    try:
        codecs.getincrementaldecoder(UTF_8)().decode(sample, final=False)  # a character cut by the sample's end is fine
    except UnicodeDecodeError:
        return WINDOWS_1252
    return UTF_8


def utf8_path(path: Path, scratch: Path) -> Path:
    """`path` itself when it is UTF-8 (with or without a byte order mark: DuckDB skips it), else a UTF-8 copy of it
    in `scratch`, line for line (line endings kept), so that every line number still names the file's own line."""
    encoding = detect(path)
    if encoding == UTF_8:
        return path
    handle, name = tempfile.mkstemp(prefix="utf8-", suffix=path.suffix, dir=scratch)
    copy = Path(name)
    try:
        with (path.open(encoding=encoding, newline="") as source,
              open(handle, "w", encoding=UTF_8, newline="") as target):
            shutil.copyfileobj(source, target, 1 << 20)
    except UnicodeDecodeError:
        copy.unlink()
        raise EncodingError(f"not UTF-8, and not {NAMES[encoding]} either: save the file as UTF-8") from None
    return copy
