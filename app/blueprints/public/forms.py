"""Forms of the public side: ask for help, proxy intake, follow my request."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.models.base import utcnow
from app.models.vocab import (
    CATEGORIES,
    FOR_WHOM,
    RESIDENT_CATEGORIES,
    RESIDENT_FOR_WHOM,
    SPECIAL_GROUPS,
)
from app.services import ServiceError
from app.services.geo import out_of_china
from app.services.phones import normalise_phone
from app.services.wording import to_local

# The resident's tiles: their own words, the most asked-for first (vocab.RESIDENT_CATEGORIES).
CATEGORY_ORDER = tuple(RESIDENT_CATEGORIES)
RESIDENT_CATEGORY_CHOICES = list(RESIDENT_CATEGORIES.items())
# Workers filing for someone (/proxy) keep every category, the station's own too.
CATEGORY_CHOICES = (
    [(code, RESIDENT_CATEGORIES[code]) for code in CATEGORY_ORDER[:-1]]
    + [(code, CATEGORIES[code]) for code in CATEGORIES if code not in CATEGORY_ORDER]
    + [("other", CATEGORIES["other"])]
)


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them."""
    return [SelectChoice(value, label) for value, label in pairs]


URGENCY_CHOICES = [("normal", _l("Normal")), ("urgent", _l("Urgent: today if possible"))]
WHEN_CHOICES = [("asap", _l("As soon as possible")), ("later", _l("At a time I choose"))]
CHANNEL_CHOICES = [
    ("hotline", _l("Hotline call")),
    ("proxy", _l("On someone's behalf")),
    ("visit", _l("Home visit")),
]
CONSENT_METHODS = [
    ("spoken_phone", _l("Said yes on the phone")),
    ("spoken_in_person", _l("Said yes in person")),
    ("written", _l("Signed on paper")),
    ("guardian", _l("A guardian agreed for them")),
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None  # an id, never a database error


def _optional_float(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    if number is None or number != number or abs(number) > 180:  # NaN or nonsense
        return None
    return number


class PhoneRequired:
    """Validate with phonenumbers (region CN) and keep the E.164 form on the form."""

    def __init__(self, required: bool = True) -> None:
        self.required = required

    def __call__(self, form, field) -> None:
        form.phone_e164 = None
        if not (field.data or "").strip() and not self.required:
            return
        try:
            form.phone_e164 = normalise_phone(field.data or "")
        except ServiceError as error:
            raise ValidationError(error.message) from None


def strip_nul(value):
    """PostgreSQL text cannot hold NUL characters; nobody types them on purpose."""
    return value.replace("\x00", "") if isinstance(value, str) else value


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class PublicForm(FlaskForm):
    """Every text field of the public forms loses NUL characters before validation."""

    class Meta:
        def get_translations(self, form):
            """WTForms' own messages in the page's language, read from disk once per
            process and language (Flask-WTF reads the catalogue again in every request
            that builds a form with an unlabelled field, as every form here has)."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            locale = get_locale()
            return _wtforms_translations(str(locale) if locale is not None else "zh")

        def bind_field(self, form, unbound_field, options):
            filters = [*(unbound_field.kwargs.get("filters") or ()), strip_nul]
            return unbound_field.bind(form=form, filters=filters, **options)


class AskForm(PublicForm):
    """The resident's form: what is needed, where, a phone number; the rest is optional."""

    form_token = HiddenField()
    category = RadioField(
        _l("What do you need help with?"),
        choices=choices(RESIDENT_CATEGORY_CHOICES),
        validators=[InputRequired(message=_l("Please choose what kind of help you need."))],
        # A station's own category sent by hand: the same plain words as no choice at all.
        invalid_choice_message=_l("Please choose what kind of help you need."),
    )
    description = TextAreaField(
        _l("In your own words (optional)"),
        validators=[Length(max=2000, message=_l("Please keep it under 2000 characters."))],
    )
    urgent = BooleanField(_l("Urgent: today if possible"))
    lat = HiddenField()
    lon = HiddenField()
    township = SelectField(
        _l("Township or subdistrict"), coerce=optional_int, validate_choice=False
    )
    village = SelectField(_l("Village or community"), coerce=optional_int, validate_choice=False)
    address = StringField(
        _l("Address or landmark (optional)"),
        validators=[Length(max=200, message=_l("Please keep it under 200 characters."))],
    )
    for_whom = RadioField(
        _l("Who is it for?"),
        choices=choices((code, FOR_WHOM[code]) for code in RESIDENT_FOR_WHOM),
        default="self",
    )
    # The one question about special groups a resident is asked; the station records the rest.
    lives_alone = BooleanField(_l("An older person who lives alone (optional)"))
    wanted_when = RadioField(
        _l("When do you need help?"), choices=choices(WHEN_CHOICES), default="asap"
    )
    wanted_at = DateTimeLocalField(
        _l("Day and time"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    wanted_note = StringField(
        _l("Anything about the time? (optional)"), validators=[Length(max=64)]
    )
    contact_name = StringField(
        _l("How should we call you? (optional)"), validators=[Length(max=64)]
    )
    phone = StringField(_l("Contact phone"), validators=[PhoneRequired()])
    consent = BooleanField(
        _l("I agree that the station stores these details to arrange help."),
        validators=[DataRequired(message=_l("Please tick the box so we can help you."))],
    )
    confirm_new = BooleanField(_l("Yes, this is a new request"))
    duplicate_seen = HiddenField()  # sent by the question below: its box must be ticked

    phone_e164: str | None = None
    place_error: str | None = None
    # The error summary lists the problems in the order the page shows the fields.
    PAGE_ORDER = (
        "category",
        "description",
        "place",
        "township",
        "village",
        "address",
        "contact_name",
        "phone",
        "consent",
        "wanted_at",
        "wanted_note",
        "confirm_new",
    )

    @property
    def coordinates(self) -> tuple[float | None, float | None]:
        lat, lon = _optional_float(self.lat.data), _optional_float(self.lon.data)
        if lat is None or lon is None or abs(lat) > 90 or out_of_china(lat, lon):
            return None, None  # no station serves it: ask for the village instead
        return lat, lon

    def urgency_code(self) -> str:
        return "urgent" if self.urgent.data else "normal"

    def special_group_codes(self) -> list[str]:
        return ["elderly_alone"] if self.lives_alone.data else []

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        lat, lon = self.coordinates
        if lat is None and not self.village.data and not (self.address.data or "").strip():
            self.place_error = str(
                _l("Please tell us where: use your location, or choose your township and village.")
            )
            ok = False
        if self.category.data == "other" and not (self.description.data or "").strip():
            self.description.errors = [
                *self.description.errors,
                str(_l("Please say in a few words what you need.")),
            ]
            ok = False
        if self.wanted_when.data == "later" and self.wanted_at.data is None:
            if not self.wanted_at.errors:
                self.wanted_at.errors = [str(_l("Please choose the day and time."))]
            ok = False
        elif self.wanted_when.data == "later" and not _within_reach(self.wanted_at.data):
            self.wanted_at.errors = [
                str(_l("Please choose a time from now to three months ahead."))
            ]
            ok = False
        return ok

    def problems(self) -> list[tuple[str, str]]:
        """(id of the field to go to, message) for each problem, in the page's order."""
        found = []
        names = dict.fromkeys([*self.PAGE_ORDER, *(f.name for f in self)])
        for name in names:
            if name == "place":
                if self.place_error:
                    found.append(("township", self.place_error))
                continue
            field = getattr(self, name, None)
            if field is None or not field.errors:
                continue
            target = f"{field.id}-0" if isinstance(field, RadioField) else field.id
            found.extend((target, str(error)) for error in field.errors)
        return found

    @property
    def more_open(self) -> bool:
        """The optional part shows open when one of its answers was given or is wrong."""
        return bool(
            self.wanted_when.data == "later"
            or self.wanted_at.errors
            or self.wanted_note.errors
            or self.lives_alone.data
            or self.contact_name.errors
            or (self.for_whom.data and self.for_whom.data != "self")
        )


WANTED_WITHIN = timedelta(days=92)


def _within_reach(wanted_local: datetime) -> bool:
    """A wanted time a station can plan for: not past (an hour's grace for a slow form),
    at most about three months ahead (wanted times are local, as the form shows them)."""
    now = to_local(utcnow()).replace(tzinfo=None)
    return now - timedelta(hours=1) <= wanted_local <= now + WANTED_WITHIN


class ProxyForm(AskForm):
    """A worker or volunteer files for someone: every category, the special groups and the
    urgency as the station records them."""

    category = RadioField(
        _l("What do you need help with?"),
        choices=choices(CATEGORY_CHOICES),
        validators=[InputRequired(message=_l("Please choose what kind of help you need."))],
    )
    for_whom = RadioField(_l("Who needs help?"), choices=choices(FOR_WHOM.items()), default="self")
    special_groups = MultiCheckboxField(
        _l("Does any of these apply to them? (optional)"), choices=choices(SPECIAL_GROUPS.items())
    )
    urgency = RadioField(
        _l("How urgent is it?"), choices=choices(URGENCY_CHOICES), default="normal"
    )
    urgent = None
    lives_alone = None
    PAGE_ORDER = (
        "channel",
        "beneficiary",
        "contact_name",
        "phone",
        *(name for name in AskForm.PAGE_ORDER if name != "consent"),
        "consent_by",
        "consent_method",
        "consent",
    )
    channel = RadioField(
        _l("How did the request reach you?"), choices=choices(CHANNEL_CHOICES), default="proxy"
    )
    beneficiary = SelectField(
        _l("Person in the ledger (optional)"), coerce=optional_int, validate_choice=False
    )
    contact_name = StringField(_l("Name of the person who needs help"), validators=[Length(max=64)])
    phone = StringField(
        _l("Their phone, or a family member's (optional)"),
        validators=[PhoneRequired(required=False)],
    )
    consent = BooleanField(
        _l("The person (or their guardian) agreed that we store these details to arrange help."),
        validators=[DataRequired(message=_l("Ask for consent first, then tick the box."))],
    )
    consent_by = StringField(
        _l("Who gave consent"),
        validators=[
            DataRequired(message=_l("Please write who agreed, e.g. the person or their son.")),
            Length(max=64),
        ],
    )
    consent_method = RadioField(
        _l("How they agreed"),
        choices=choices(CONSENT_METHODS),
        default="spoken_phone",
        validators=[InputRequired(message=_l("Please choose how they agreed."))],
    )

    def urgency_code(self) -> str:
        return self.urgency.data or "normal"

    def special_group_codes(self) -> list[str]:
        return list(self.special_groups.data or ())

    @property
    def more_open(self) -> bool:
        return True  # a worker fills it all in

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.place_error and self.beneficiary.data:
            # A ledger person has an address on file: that is place enough.
            self.place_error = None
            ok = not any(f.errors for f in self)
        return ok


class DangerForm(PublicForm):
    """Someone is in danger now: after 110/120, the station is told at once. Only a phone
    number is needed; a station calls back (with no place, the county centre answers)."""

    form_token = HiddenField()
    description = TextAreaField(
        _l("What is happening? (optional)"),
        validators=[Length(max=2000, message=_l("Please keep it under 2000 characters."))],
    )
    township = SelectField(
        _l("Township or subdistrict (optional)"), coerce=optional_int, validate_choice=False
    )
    village = SelectField(
        _l("Village or community (optional)"), coerce=optional_int, validate_choice=False
    )
    address = StringField(
        _l("Address or landmark (optional)"),
        validators=[Length(max=200, message=_l("Please keep it under 200 characters."))],
    )
    phone = StringField(_l("Your phone, so the station can call you"), validators=[PhoneRequired()])
    consent = BooleanField(
        _l("I agree that the station stores these details to arrange help."),
        validators=[DataRequired(message=_l("Please tick the box so we can help you."))],
    )
    PAGE_ORDER = ("description", "township", "village", "address", "phone", "consent")
    place_error: str | None = None
    phone_e164: str | None = None
    problems = AskForm.problems


class TrackForm(PublicForm):
    code = StringField(
        _l("Tracking code"),
        validators=[
            DataRequired(message=_l("Please enter the code from your SMS.")),
            Length(max=20),
        ],
    )
    last_four = StringField(
        _l("Last 4 digits of the contact phone"),
        validators=[DataRequired(message=_l("Please enter 4 digits.")), Length(max=8)],
    )


class ActionForm(PublicForm):
    """Cancel, confirm or 'not solved': one optional note."""

    note = TextAreaField(_l("What is still wrong? (optional)"), validators=[Length(max=1000)])


class RateForm(PublicForm):
    stars = RadioField(
        _l("How was the help?"),
        choices=choices([(5, "5"), (4, "4"), (3, "3"), (2, "2"), (1, "1")]),
        coerce=int,
        validators=[InputRequired(message=_l("Please choose from 1 to 5 stars."))],
    )
    comment = TextAreaField(
        _l("Anything you want to tell the station? (optional)"), validators=[Length(max=1000)]
    )
