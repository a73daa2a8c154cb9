"""Streamed CSV for Excel in Japan: UTF-8 with BOM, CRLF, formula-injection safe."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _is_plain_number(text):
        return "'" + text
    return text


def _is_plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def stream_csv(header: list[str], rows: Iterable[Iterable], *, neutralise_cells: bool = True) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff"
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) if neutralise_cells else ("" if v is None else v) for v in row])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
