"""Validators shared by every form: length in characters with a translated message."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from participation.common.submissions import SUBMISSION_KEY_MAX, is_submission_key, new_submission_key


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


_UNREADABLE_FORM = _l("This form could not be read. Please go back, reload the page and try again.")


class _SubmissionKeyShape:
    def __call__(self, form, field):
        if not is_submission_key(field.data):
            raise ValidationError(_UNREADABLE_FORM)


class SubmissionKeyField(HiddenField):
    """The hidden random key of a form that creates something (see common/submissions.py).

    Never read from an object or a default: it is what the browser posted, or, when the form is shown
    without one, a new key. Optional, so a page rendered before keys existed still posts."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, validators=[Optional(), Length(max=SUBMISSION_KEY_MAX, message=_UNREADABLE_FORM), _SubmissionKeyShape()], **kwargs)

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data=None, extra_filters=extra_filters)

    def _value(self):
        if not self.data:
            self.data = new_submission_key()
        return self.data

    @property
    def key(self) -> str | None:
        """The posted key (validated by the form), or None when none was posted."""
        return (self.data or "").strip() or None
