"""Validators shared by every form: length in characters with a translated message."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length, Optional, ValidationError


def required():
    return DataRequired(message=_l("This field is required."))


class _Length(Length):
    """Length in characters, and no NUL character (PostgreSQL cannot store it; it is never typed)."""

    def __call__(self, form, field):
        if isinstance(field.data, str) and "\x00" in field.data:
            raise ValidationError(_l("Please do not use control characters."))
        super().__call__(form, field)


def length(max: int, min: int = -1):
    if min > 0:
        return _Length(min=min, max=max, message=_l("Please enter between %(min)d and %(max)d characters.", min=min, max=max))
    return _Length(max=max, message=_l("Please enter at most %(max)d characters.", max=max))


def optional():
    return Optional()
