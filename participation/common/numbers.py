"""Ids and numbers read from URLs and forms.

`str.isdigit()` is true for characters such as "²" or "١" that `int()` refuses or reads as another
number, so a bare isdigit check before int() turns a tampered query string into a 500."""
from __future__ import annotations


def parse_id(value: object, max_digits: int = 9) -> int | None:
    """A positive whole number written in ASCII digits (at most max_digits of them), else None."""
    if not isinstance(value, str) or not value or len(value) > max_digits:
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    return int(value)
