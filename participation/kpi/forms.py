"""KPI forms: API token creation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from participation.common.forms import length, required


class TokenForm(FlaskForm):
    name = StringField(_l("Name (who uses this token)"), validators=[required(), length(100)])
