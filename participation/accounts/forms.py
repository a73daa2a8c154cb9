"""Account forms: input shape and validation only."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import Email, EqualTo, ValidationError

from participation.accounts.models import AGE_BANDS, ROLES
from participation.common.forms import length, optional, required

PASSWORD_MIN, PASSWORD_MAX = 10, 128


def _language_choices():
    return [("ja", "日本語"), ("en", "English")]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label):
    # Phones' autofill often adds a trailing space: trim before validating.
    return EmailField(label, filters=[_strip], validators=[required(), length(254),
                                                           Email(message=_l("Please enter a valid email address."))],
                      render_kw={"autocomplete": "email", "inputmode": "email"})


def _new_password(label):
    return PasswordField(label, validators=[required(), length(PASSWORD_MAX, PASSWORD_MIN)],
                         render_kw={"autocomplete": "new-password"},
                         description=_l("At least %(min)d characters.", min=PASSWORD_MIN))


def _confirm_password():
    return PasswordField(_l("Password again"), validators=[
        required(), length(PASSWORD_MAX), EqualTo("password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"})


def _display_name():
    return StringField(_l("Display name"), validators=[required(), length(50)],
                       description=_l("Shown next to what you write. You can use a nickname."),
                       render_kw={"autocomplete": "nickname"})


def _no_control_chars(form, field):
    if field.data and any(ord(ch) < 32 for ch in field.data):
        raise ValidationError(_l("Please do not use control characters."))


class SignUpForm(FlaskForm):
    email = _email_field(_l("Email address"))
    display_name = _display_name()
    password = _new_password(_l("Password"))
    password_confirm = _confirm_password()
    locale = RadioField(_l("Preferred language"), choices=_language_choices(), default="ja",
                        validators=[required()])
    agree_terms = BooleanField(_l("I agree to the terms of use"),
                               validators=[required()])
    agree_privacy = BooleanField(_l("I agree to the privacy policy"),
                                 validators=[required()])

    def validate_display_name(self, field):
        _no_control_chars(self, field)


class SignInForm(FlaskForm):
    email = _email_field(_l("Email address"))
    password = PasswordField(_l("Password"), validators=[required(), length(PASSWORD_MAX)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device"))


class EmailOnlyForm(FlaskForm):
    email = _email_field(_l("Email address"))


class ResetPasswordForm(FlaskForm):
    password = _new_password(_l("New password"))
    password_confirm = _confirm_password()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[required(), length(PASSWORD_MAX)],
                                     render_kw={"autocomplete": "current-password"})
    password = _new_password(_l("New password"))
    password_confirm = _confirm_password()


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("New email address"))
    current_password = PasswordField(_l("Current password"), validators=[required(), length(PASSWORD_MAX)],
                                     render_kw={"autocomplete": "current-password"})


class ProfileForm(FlaskForm):
    display_name = _display_name()
    locale = RadioField(_l("Preferred language"), choices=_language_choices(), validators=[required()])

    def validate_display_name(self, field):
        _no_control_chars(self, field)


AGE_BAND_LABELS = {
    "under_20": _l("Under 20"), "20s": _l("20-29"), "30s": _l("30-39"), "40s": _l("40-49"),
    "50s": _l("50-59"), "60s": _l("60-69"), "70_plus": _l("70 or over"),
}


class DemographicsForm(FlaskForm):
    age_band = SelectField(_l("Age group"), choices=[("", _l("Not given"))] + [(b, AGE_BAND_LABELS[b]) for b in AGE_BANDS],
                           validators=[optional()])
    age_consent = BooleanField(_l("I agree that my age group is used for participation statistics"))
    area_id = SelectField(_l("Area where you live"), coerce=lambda v: int(v) if v not in (None, "") else None,
                          validators=[optional()])
    area_consent = BooleanField(_l("I agree that my area is used for participation statistics"))

    def validate(self, extra_validators=None) -> bool:
        # Checked here, not as field validators: optional() ends a field's chain when it is empty.
        valid = super().validate(extra_validators)
        if self.age_consent.data and not self.age_band.data:
            self.age_band.errors = [*self.age_band.errors,
                                    _l("Please choose your age group, or untick the consent.")]
            valid = False
        if self.area_consent.data and not self.area_id.data:
            self.area_id.errors = [*self.area_id.errors, _l("Please choose your area, or untick the consent.")]
            valid = False
        return valid


class DeleteAccountForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[required(), length(PASSWORD_MAX)],
                                     render_kw={"autocomplete": "current-password"})
    understood = BooleanField(_l("I understand that this cannot be undone"), validators=[required()])


class CreateUserForm(FlaskForm):
    email = _email_field(_l("Email address"))
    display_name = _display_name()
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES], validators=[required()])
    password = _new_password(_l("Initial password"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES], validators=[required()])


class BlockForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[required(), length(500)])


class AreaForm(FlaskForm):
    name_ja = StringField(_l("Name (Japanese)"), validators=[required(), length(100)])
    name_en = StringField(_l("Name (English)"), validators=[required(), length(100)])
    position = StringField(_l("Order"), default="0", validators=[length(6)])

    def validate_position(self, field):
        try:
            int(field.data or 0)
        except ValueError:
            raise ValidationError(_l("Please enter a whole number."))


class PostForm(FlaskForm):
    """An empty form: a button that changes data still carries a CSRF token."""
