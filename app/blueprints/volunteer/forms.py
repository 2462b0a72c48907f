"""The volunteer's forms. Services do the real checks; forms parse and label."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FloatField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.models.vocab import CATEGORIES
from app.services.volunteers import DAY_PARTS, RADIUS_CHOICES, VOLUNTEER_SKILLS

DAYS = (
    _l("Mon"),
    _l("Tue"),
    _l("Wed"),
    _l("Thu"),
    _l("Fri"),
    _l("Sat"),
    _l("Sun"),
)
PARTS = {
    "morning": _l("Morning 8–12"),
    "afternoon": _l("Afternoon 12–18"),
    "evening": _l("Evening 18–21"),
}


class SignupForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Please enter your name.")), Length(max=64)],
    )
    phone = TelField(
        _l("Mobile phone number"),
        validators=[DataRequired(message=_l("Please enter a phone number.")), Length(max=32)],
    )
    password = PasswordField(
        _l("Password (at least 8 characters)"),
        validators=[
            DataRequired(message=_l("The password needs at least 8 characters.")),
            Length(min=8, max=128, message=_l("The password needs at least 8 characters.")),
        ],
    )
    skills = SelectMultipleField(_l("What can you help with?"), choices=[])
    slots = SelectMultipleField(_l("When are you usually free?"), choices=[])
    lat = FloatField(validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(validators=[Optional(), NumberRange(-180, 180)])
    village_id = SelectField(_l("Your village or community"), choices=[], validate_choice=False)
    radius_km = SelectField(_l("How far can you travel?"), choices=[], default="5")
    team_id = SelectField(_l("Join a volunteer team (optional)"), choices=[], validate_choice=False)

    def __init__(self, *args, villages=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.skills.choices = [(code, str(CATEGORIES[code])) for code in VOLUNTEER_SKILLS]
        self.slots.choices = [
            (f"{day}-{part}", f"{DAYS[day]} {PARTS[part]}")
            for day in range(7)
            for part in DAY_PARTS
        ]
        # Villages grouped by township: WTForms draws <optgroup> only from a dict (a list
        # of (township, villages) pairs became options whose text was the Python list).
        # The None group is drawn without an <optgroup>: the blank choice first.
        self.village_id.choices = {None: [("", str(_l("— choose —")))]} | {
            township.name: [(str(v.id), v.name) for v in members] for township, members in villages
        }
        self.radius_km.choices = [
            (str(km), str(_l("Up to %(km)s km", km=km))) for km in RADIUS_CHOICES
        ]
        # Teams grouped by their station (an <optgroup> each): only a team of the
        # volunteer's own station takes them in.
        self.team_id.choices = {None: [("", str(_l("No team")))]} | {
            station.name: [(str(t.id), t.name) for t in members] for station, members in teams
        }


class ClaimForm(FlaskForm):
    claim_for = HiddenField(default="me")  # me | team


class EmptyForm(FlaskForm):
    """Accept, decline: only the CSRF token."""


class ReleaseForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you give it back?"),
        validators=[
            DataRequired(message=_l("Please say why you give the task back.")),
            Length(max=500),
        ],
    )


class CheckInForm(FlaskForm):
    lat = FloatField(validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(validators=[Optional(), NumberRange(-180, 180)])


class CheckOutForm(FlaskForm):
    outcome = TextAreaField(
        _l("What did you do?"),
        validators=[DataRequired(message=_l("Please write what was done.")), Length(max=2000)],
    )
    hours = StringField(
        _l("Hours spent"),
        validators=[DataRequired(message=_l("Please enter the hours as a number, e.g. 1.5."))],
    )
    welfare_note = TextAreaField(
        _l("How is the person? (for the social worker, optional)"),
        validators=[Optional(), Length(max=2000)],
    )


class DispatchForm(FlaskForm):
    member = SelectField(_l("Give it to"), choices=[], validate_choice=False)
