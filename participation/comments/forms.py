"""Comment forms: input shape only; the service enforces the rules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired

from participation.comments.models import MAX_LENGTH
from participation.common.forms import SubmissionKeyField, length, required

ALIGNMENT_CHOICES = [("1", _l("In favour")), ("0", _l("Neutral")), ("-1", _l("Against"))]


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[required(), length(MAX_LENGTH)])
    alignment = RadioField(_l("Your position"), choices=ALIGNMENT_CHOICES, default="0",
                           validators=[InputRequired(message=_l("Please choose in favour, neutral or against."))])
    parent_id = HiddenField(validators=[length(12)])
    submission_key = SubmissionKeyField()  # a double submit stores one comment


class EditCommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[required(), length(MAX_LENGTH)])
    alignment = RadioField(_l("Your position"), choices=ALIGNMENT_CHOICES,
                           validators=[InputRequired(message=_l("Please choose in favour, neutral or against."))])


class VoteForm(FlaskForm):
    value = HiddenField(validators=[length(10)])
