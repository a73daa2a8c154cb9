"""Proposal forms: input shape and validation only (business rules live in services)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateTimeLocalField, DecimalField, FloatField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import NumberRange, Optional, Regexp, ValidationError

from participation.common.forms import SubmissionKeyField, length, required
from participation.common.numbers import parse_id
from participation.common.time import local_zone
from participation.proposals.models import COST_MAX


def optional_int(value):
    """A select's id: None when empty, -1 (an unknown choice, refused by the choices check or the service)
    for anything that is not an id, such as "²" or a number no database column can hold."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    parsed = parse_id(value)
    return -1 if parsed is None else parsed


class ProposalForm(FlaskForm):
    title = StringField(_l("Title"), validators=[required(), length(150, 15)],
                        description=_l("15 to 150 characters. Say briefly what you propose."))
    # The process sets the real maximum (checked by the service); 20,000 is the most any process allows.
    body = TextAreaField(_l("Your proposal"), validators=[required(), length(20_000)],
                         description=_l("What should change, and why? You can use **bold**, *italic*, lists and links."))
    category_id = SelectField(_l("Category"), coerce=optional_int, validators=[Optional()], validate_choice=False)
    area_id = SelectField(_l("Area"), coerce=optional_int, validators=[Optional()], validate_choice=False)
    address = StringField(_l("Address or place (optional)"), validators=[Optional(), length(300)])
    latitude = FloatField(_l("Latitude (optional)"), validators=[Optional(), NumberRange(
        min=-90, max=90, message=_l("Please enter a latitude from -90 to 90."))],
        render_kw={"inputmode": "decimal"})
    longitude = FloatField(_l("Longitude (optional)"), validators=[Optional(), NumberRange(
        min=-180, max=180, message=_l("Please enter a longitude from -180 to 180."))],
        render_kw={"inputmode": "decimal"})
    image = FileField(_l("Photo (optional, JPEG, PNG or WebP)"), render_kw={"accept": "image/*"})

    def __init__(self, *args, body_max: int = 3000, **kwargs):
        super().__init__(*args, **kwargs)
        self.body_max = body_max
        self.body.render_kw = {"maxlength": body_max}

    def validate_body(self, field):
        text = (field.data or "").strip()
        if not 15 <= len(text) <= self.body_max:
            raise ValidationError(_l("Please enter between %(min)d and %(max)d characters.", min=15,
                                     max=self.body_max))

    def validate_longitude(self, field):
        if (field.data is None) != (self.latitude.data is None):
            raise ValidationError(_l("Please give both latitude and longitude, or neither."))

    def proposal_data(self) -> dict:
        return {"title": self.title.data, "body": self.body.data, "category_id": self.category_id.data,
                "area_id": self.area_id.data, "address": self.address.data, "latitude": self.latitude.data,
                "longitude": self.longitude.data}


class NewProposalForm(ProposalForm):
    """Writing a new proposal: the key makes a double submit store one draft."""
    submission_key = SubmissionKeyField()


PUBLISH_CHOICES = [("now", _l("Publish now")), ("schedule", _l("Publish at the date and time below")),
                   ("draft", _l("Save without publishing (staff only)"))]


class AnswerForm(FlaskForm):
    state_id = SelectField(_l("State"), coerce=optional_int, validators=[required()], validate_choice=False)
    template_id = SelectField(_l("Start from a template"), coerce=optional_int, validators=[Optional()],
                              validate_choice=False)
    body = TextAreaField(_l("Answer"), validators=[Optional(), length(20_000)],
                         description=_l("You can use **bold**, *italic*, lists and links."))
    cost = DecimalField(_l("Cost in yen (accepted proposals only)"), places=0, validators=[Optional(), NumberRange(
        min=0, message=_l("The cost cannot be negative.")), NumberRange(
        max=COST_MAX, message=_l("Please enter a number from %(min)d to %(max)d.", min=0, max=COST_MAX))],
        render_kw={"inputmode": "numeric"})
    execution_period = StringField(_l("Execution period (accepted proposals only)"),
                                   validators=[Optional(), length(100)])
    publish = RadioField(_l("Publication"), choices=PUBLISH_CHOICES, default="now")
    publish_at = DateTimeLocalField(_l("Publication date and time (Japan time)"), format="%Y-%m-%dT%H:%M",
                                    validators=[Optional()])

    def validate_publish_at(self, field):
        if self.publish.data == "schedule" and field.data is None:
            raise ValidationError(_l("Please choose when the answer is published."))

    def answer_data(self) -> dict:
        publish_at = self.publish_at.data
        if publish_at is not None:
            publish_at = publish_at.replace(tzinfo=local_zone())
        return {"state_id": self.state_id.data, "body": self.body.data or "", "cost": self.cost.data,
                "execution_period": self.execution_period.data, "publish": self.publish.data,
                "publish_at": publish_at if self.publish.data == "schedule" else None}


class AnswerStateForm(FlaskForm):
    code = StringField(_l("Code"), validators=[required(), length(40), Regexp(
        r"^[a-z][a-z0-9_]{1,39}$", message=_l("Lower-case letters, digits and underscores."))])
    label_ja = StringField(_l("Label (Japanese)"), validators=[required(), length(60)])
    label_en = StringField(_l("Label (English)"), validators=[required(), length(60)])
    colour = StringField(_l("Colour"), default="#4d4d4d", render_kw={"type": "color"}, validators=[
        required(), length(7), Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Please choose a colour like #1f6f43."))])
    is_accepted = BooleanField(_l("Counts as accepted (cost and period can be given)"))


class AnswerTemplateForm(FlaskForm):
    title = StringField(_l("Title"), validators=[required(), length(100)])
    body = TextAreaField(_l("Text"), validators=[required(), length(20_000)])
    state_id = SelectField(_l("State"), coerce=optional_int, validators=[Optional()], validate_choice=False)


class CategoryForm(FlaskForm):
    process_id = SelectField(_l("Process"), coerce=optional_int, validators=[Optional()], validate_choice=False)
    name_ja = StringField(_l("Name (Japanese)"), validators=[required(), length(100)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), length(100)])
