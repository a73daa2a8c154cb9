"""Comment forms: input shape only; the service enforces the rules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from participation.comments.models import MAX_LENGTH
from participation.common.forms import SubmissionKeyField, length, required
from participation.common.numbers import parse_id

ALIGNMENT_CHOICES = [("1", _l("In favour")), ("0", _l("Neutral")), ("-1", _l("Against"))]


def _comment_id(form, field):
    """Empty (a top-level comment) or a comment id. Never typed by a person: anything else is a tampered page,
    not a reason to store the reply as a top-level comment."""
    if field.data and parse_id(field.data) is None:
        raise ValidationError(_l("This form could not be read. Please go back, reload the page and try again."))


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[required(), length(MAX_LENGTH)])
    alignment = RadioField(_l("Your position"), choices=ALIGNMENT_CHOICES, default="0",
                           validators=[InputRequired(message=_l("Please choose in favour, neutral or against."))])
    parent_id = HiddenField(validators=[length(12), _comment_id])
    submission_key = SubmissionKeyField()  # a double submit stores one comment


class EditCommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[required(), length(MAX_LENGTH)])
    alignment = RadioField(_l("Your position"), choices=ALIGNMENT_CHOICES,
                           validators=[InputRequired(message=_l("Please choose in favour, neutral or against."))])


class VoteForm(FlaskForm):
    value = HiddenField(validators=[length(10)])
