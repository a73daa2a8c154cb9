"""Ids read from URLs and forms: only ASCII digits count, so tampered input is a 4xx or ignored, never a 500."""
import pytest

from participation.common.numbers import parse_id


@pytest.mark.parametrize("raw, expected", [
    ("1", 1), ("000123", 123), ("999999999", 999999999),
    ("", None), ("1234567890", None), ("-1", None), ("1.0", None), (" 1", None), ("abc", None),
    ("²", None), ("١", None), ("１", None), (None, None), (7, None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("query", ["area=²", "area=١", "area=１"])
def test_process_list_ignores_a_tampered_area_filter(client, query):
    response = client.get(f"/processes?{query}")
    assert response.status_code == 200
