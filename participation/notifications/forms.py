"""Notification forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField
from wtforms.validators import InputRequired

from participation.common.forms import length

FREQUENCY_CHOICES = [("immediate", _l("Immediately, one email per notification")),
                     ("daily", _l("Once a day, a summary")),
                     ("weekly", _l("Once a week, a summary")),
                     ("none", _l("No emails (notifications on this site only)"))]


class SettingsForm(FlaskForm):
    email_frequency = RadioField(_l("Email me about my notifications"), choices=FREQUENCY_CHOICES,
                                 validators=[InputRequired(message=_l("Please choose one of the options."))])


class FollowForm(FlaskForm):
    action = HiddenField(validators=[length(20)])
