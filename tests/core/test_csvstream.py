"""CSV for Excel in Japan: BOM, CRLF, streamed, formula injection neutralised."""
from __future__ import annotations

import csv
import io

import pytest

from participation.common.csvstream import neutralise, stream_csv


@pytest.mark.parametrize("cell", ["=1+1", "=HYPERLINK(\"https://evil.example\",\"x\")", "+cmd|' /C calc'!A0",
                                  "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=", "-", "+", "@"])
def test_formula_cells_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell, expected", [
    ("-5", "-5"), ("+81", "+81"), ("-0.25", "-0.25"), ("1+1", "1+1"), ("a=b", "a=b"), ("駅前に駐輪場を", "駅前に駐輪場を"),
    (None, ""), (42, "42"), (-3, "-3"), ("", ""), ("メール@example.jp", "メール@example.jp"),
])
def test_ordinary_cells_are_unchanged(cell, expected):
    assert neutralise(cell) == expected


def _collect(chunks) -> str:
    return "".join(chunks)


def test_stream_has_bom_crlf_and_neutralised_cells():
    rows = [["山田花子", "=1+1", None, 3], ["カンマ, と\n改行", "@x", "-5", "+cmd"]]
    chunks = list(stream_csv(["名前", "意見", "空", "数"], rows))
    assert chunks[0] == "\ufeff"
    text = _collect(chunks)
    assert text.startswith("\ufeff名前,意見,空,数\r\n")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "").replace("カンマ, と\n改行", "")
    parsed = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert parsed == [["名前", "意見", "空", "数"], ["山田花子", "'=1+1", "", "3"],
                      ["カンマ, と\n改行", "'@x", "-5", "'+cmd"]]


def test_stream_encodes_to_utf8_with_bom():
    data = _collect(stream_csv(["a"], [["日本語"]])).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "a\r\n日本語\r\n"


def test_neutralising_can_be_turned_off_for_trusted_numeric_exports():
    text = _collect(stream_csv(["x"], [["=1"], [None]], neutralise_cells=False))
    assert text == "\ufeffx\r\n=1\r\n\"\"\r\n"


def test_large_exports_are_streamed_in_chunks():
    rows = ([f"行{i}", "=bad", "x" * 50] for i in range(5000))
    chunks = list(stream_csv(["a", "b", "c"], rows))
    assert len(chunks) > 3, "yields while writing, not all at the end"
    assert all(len(chunk) < 40_000 for chunk in chunks)
    parsed = list(csv.reader(io.StringIO(_collect(chunks)[1:], newline="")))
    assert len(parsed) == 5001
    assert parsed[-1] == ["行4999", "'=bad", "x" * 50]
