"""Moderation forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired

from participation.common.forms import length, required

REASON_CHOICES = [("spam", _l("Spam or advertising")), ("offensive", _l("Offensive or abusive")),
                  ("off_topic", _l("Does not belong here"))]


class FlagForm(FlaskForm):
    reason = RadioField(_l("Why are you reporting this?"), choices=REASON_CHOICES,
                        validators=[InputRequired(message=_l("Please choose a reason."))])
    details = TextAreaField(_l("Details (optional)"), validators=[length(500)])


class BlockAuthorForm(FlaskForm):
    reason = TextAreaField(_l("Reason for blocking"), validators=[required(), length(500)])
