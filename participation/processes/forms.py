"""Process and phase forms: input shape and validation only."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from participation.common.forms import length, required

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,78})[a-z0-9]$")

COMPONENT_LABELS = [("proposals", _l("Proposals")), ("surveys", _l("Surveys")),
                    ("meetings", _l("Meetings")), ("reports", _l("Issue reports"))]


def _optional_int(value):
    if value in (None, ""):
        return None
    return int(value)


def _date(label):
    return DateField(label, validators=[required()], format="%Y-%m-%d",
                     render_kw={"type": "date"})


def _number(label, minimum=0, maximum=100_000, description=None, optional=False):
    validators = [NumberRange(min=minimum, max=maximum,
                              message=_l("Please enter a number from %(min)d to %(max)d.", min=minimum, max=maximum))]
    # InputRequired, not DataRequired: 0 is a value ("0 means unlimited"), not a missing one.
    validators.insert(0, Optional() if optional else InputRequired(message=_l("This field is required.")))
    return IntegerField(label, validators=validators, description=description,
                        render_kw={"inputmode": "numeric"})


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProcessForm(FlaskForm):
    title = StringField(_l("Title"), validators=[required(), length(150)])
    slug = StringField(_l("Web address (slug)"), validators=[required(), length(80, 3)],
                       description=_l("Lower-case letters, digits and hyphens, e.g. bus-network-2026. "
                                      "It cannot change once the process is published."))
    subtitle = StringField(_l("Subtitle"), validators=[length(300)])
    description = TextAreaField(_l("Description"), validators=[length(20_000)],
                                description=_l("You can use **bold**, *italic*, lists and links."))
    area_id = SelectField(_l("Area"), coerce=_optional_int, validators=[Optional()])
    group_id = SelectField(_l("Theme"), coerce=_optional_int, validators=[Optional()])
    promoted = BooleanField(_l("Promote on the home page"))
    start_date = _date(_l("Start date"))
    end_date = _date(_l("End date"))
    components = MultiCheckboxField(_l("Features hosted"), choices=COMPONENT_LABELS, default=["proposals"])
    hero_image = FileField(_l("Image (JPEG, PNG or WebP)"))
    support_limit = _number(_l("Supports per participant"), description=_l("0 means unlimited."))
    support_threshold = _number(_l("Supports needed per proposal"), minimum=1, optional=True,
                                description=_l("Leave empty for no threshold."))
    proposal_body_max = _number(_l("Maximum proposal length (characters)"), minimum=15, maximum=20_000)
    edit_window_minutes = _number(_l("Minutes a proposal can be edited after publishing"), maximum=100_000)
    hide_after_flags = _number(_l("Hide content after this many flags"), minimum=1, maximum=1000)
    proposal_limit = _number(_l("Proposals per participant"), description=_l("0 means unlimited."))

    def validate_slug(self, field):
        field.data = (field.data or "").strip().lower()
        if not SLUG_RE.match(field.data) or "--" in field.data:
            raise ValidationError(_l("Use lower-case letters, digits and single hyphens (3 to 80 characters)."))

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date must be on or after the start date."))

    def process_data(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "title", "slug", "subtitle", "description", "area_id", "group_id", "promoted", "start_date", "end_date",
            "components", "support_limit", "support_threshold", "proposal_body_max", "edit_window_minutes",
            "hide_after_flags", "proposal_limit")} | {"subtitle": self.subtitle.data or "",
                                                      "description": self.description.data or ""}


class PhaseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[required(), length(150)])
    description = TextAreaField(_l("Description"), validators=[length(5_000)])
    start_date = _date(_l("Start date"))
    end_date = _date(_l("End date"))

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date must be on or after the start date."))

    def phase_data(self) -> dict:
        return {"title": self.title.data, "description": self.description.data or "",
                "start_date": self.start_date.data, "end_date": self.end_date.data}


class GroupForm(FlaskForm):
    name_ja = StringField(_l("Name (Japanese)"), validators=[required(), length(100)])
    name_en = StringField(_l("Name (English)"), validators=[required(), length(100)])


FEATURE_LABELS = {
    "proposals.create": _l("Submit proposals"),
    "proposals.support": _l("Support proposals"),
    "proposals.endorse": _l("Endorse proposals"),
    "proposals.comment": _l("Comment on proposals"),
    "proposals.answers_visible": _l("Read the city's answers"),
    "surveys.answer": _l("Answer surveys"),
    "meetings.register": _l("Register for meetings"),
    "reports.create": _l("Report issues"),
}
# Which hosted component each feature belongs to (a switch only matters if the process hosts it).
FEATURE_COMPONENT = {feature: feature.split(".")[0] for feature in FEATURE_LABELS}
