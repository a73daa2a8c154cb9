"""Ids and numbers read from URLs and forms.

`str.isdigit()` is true for characters such as "²" or "١" that `int()` refuses or reads as another
number, so a bare isdigit check before int() turns a tampered query string into a 500."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter, ValidationError


def parse_id(value: object, max_digits: int = 9) -> int | None:
    """A positive whole number written in ASCII digits (at most max_digits of them), else None."""
    if not isinstance(value, str) or not value or len(value) > max_digits:
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    return int(value)


class IdConverter(IntegerConverter):
    """`<int:...>` in every URL (they all name ids): what parse_id reads, else the rule does not match (404).

    Werkzeug's own converter takes any run of Unicode digits of any length, so /proposals/99999999999999999999
    reached the database, which cannot hold the number (SQLite: OverflowError; PostgreSQL: integer out of
    range), and answered 500."""

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None or (self.min is not None and number < self.min) or (
                self.max is not None and number > self.max):
            raise ValidationError()
        return number
