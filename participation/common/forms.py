"""Validators shared by every form: length in characters with a translated message."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length, Optional


def required():
    return DataRequired(message=_l("This field is required."))


def length(max: int, min: int = -1):
    if min > 0:
        return Length(min=min, max=max, message=_l("Please enter between %(min)d and %(max)d characters.", min=min, max=max))
    return Length(max=max, message=_l("Please enter at most %(max)d characters.", max=max))


def optional():
    return Optional()
