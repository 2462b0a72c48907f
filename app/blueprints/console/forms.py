"""The console's forms. Services do the real checks; forms parse and label."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.models.vocab import (
    CALL_OUTCOMES,
    CATEGORIES,
    CERTIFICATE_LEVELS,
    ROLES,
    SPECIAL_GROUPS,
    URGENCIES,
)
from app.services.ledger import HEALTH, LIVING_CONDITIONS


def _choices(vocabulary, blank=None):
    items = [(code, str(text)) for code, text in vocabulary.items()]
    return ([("", str(blank))] if blank is not None else []) + items


class NoteOnlyForm(FlaskForm):
    """Accept (with an optional note), escalate, acknowledge."""

    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is it out of scope? (sent to the resident by SMS)"),
        validators=[
            DataRequired(message=_l("Please say why this is out of scope.")),
            Length(max=200),
        ],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EditForm(FlaskForm):
    category = SelectField(_l("Category"), choices=[])
    urgency = SelectField(_l("Urgency"), choices=[])
    village_id = SelectField(_l("Village"), choices=[], validators=[Optional()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    lat = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    special_groups = MultiCheckboxField(_l("Special groups"), choices=[])

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.special_groups.choices = _choices(SPECIAL_GROUPS)
        self.category.choices = _choices(CATEGORIES)
        self.urgency.choices = _choices(URGENCIES)
        self.village_id.choices = [("", str(_l("(keep)")))] + [
            (str(v.id), v.name) for v in villages
        ]


class AssignForm(FlaskForm):
    target = SelectField(
        _l("Assign to"),
        choices=[],
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose who does it."))],
    )
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])


class MergeForm(FlaskForm):
    target = StringField(
        _l("Tracking code of the request it duplicates"),
        validators=[
            DataRequired(message=_l("Choose the request this one duplicates.")),
            Length(max=12),
        ],
    )


class NoteForm(FlaskForm):
    note = TextAreaField(
        _l("Note"), validators=[DataRequired(message=_l("Write the note first.")), Length(max=2000)]
    )
    public = BooleanField(_l("The resident may see this note"))


class CloseForm(FlaskForm):
    outcome = TextAreaField(
        _l("Outcome"),
        validators=[DataRequired(message=_l("Say how it ended before closing.")), Length(max=2000)],
    )
    # Shown only while closing counts a service (from assigned or in progress): a request
    # closed after its check-out counted already. The use case parses the hours.
    served = BooleanField(_l("Service was given (counts as one person-time)"))
    hours = StringField(_l("Hours spent (optional)"), validators=[Optional(), Length(max=10)])


class WorkerStartForm(FlaskForm):
    """The assigned social worker starts the work (check-in): nothing to fill in."""


class WorkerFinishForm(FlaskForm):
    """The assigned social worker's check-out: what was done, and the hours."""

    outcome = TextAreaField(
        _l("What was done?"),
        validators=[DataRequired(message=_l("Please write what was done.")), Length(max=2000)],
    )
    hours = StringField(
        _l("Hours spent"),
        validators=[
            DataRequired(message=_l("Please enter the hours as a number, e.g. 1.5.")),
            Length(max=10),
        ],
    )


class StationForm(FlaskForm):
    station_id = SelectField(_l("Move to station"), choices=[], validate_choice=False)


class BeneficiaryForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Please enter the person's name.")), Length(max=64)],
    )
    gender = SelectField(_l("Gender"), choices=[], validators=[Optional()])
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional(), NumberRange(1900, 2100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    village_id = SelectField(_l("Village"), choices=[], validators=[Optional()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    special_groups = MultiCheckboxField(_l("Special groups"), choices=[])
    guardian_name = StringField(
        _l("Guardian or contact person"), validators=[Optional(), Length(max=64)]
    )
    guardian_relation = StringField(_l("Relation"), validators=[Optional(), Length(max=32)])
    guardian_phone = StringField(_l("Guardian's phone"), validators=[Optional(), Length(max=20)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.gender.choices = [("", "—"), ("female", str(_l("Female"))), ("male", str(_l("Male")))]
        self.village_id.choices = [("", "—")] + [(str(v.id), v.name) for v in villages]
        self.special_groups.choices = _choices(SPECIAL_GROUPS)


class CarePlanForm(FlaskForm):
    visit_interval_days = IntegerField(
        _l("Visit every N days (empty: no plan)"),
        validators=[Optional(), NumberRange(1, 365, message=_l("Visit every 1 to 365 days."))],
    )


class VisitForm(FlaskForm):
    living_conditions = SelectField(_l("Living conditions"), choices=[])
    health = SelectField(_l("Health"), choices=[])
    needs_found = TextAreaField(_l("Needs found"), validators=[Optional(), Length(max=2000)])
    follow_up = TextAreaField(_l("Follow-up"), validators=[Optional(), Length(max=2000)])
    request_category = SelectField(
        _l("Open a help request for"), choices=[], validators=[Optional()]
    )
    request_urgency = SelectField(_l("Urgency of that request"), choices=[], default="normal")
    # Text, not a number field: the use case words every refusal ("1e3", "abc", "0").
    minutes = StringField(_l("Time spent (minutes)"), validators=[Optional(), Length(max=10)])
    form_token = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.living_conditions.choices = _choices(LIVING_CONDITIONS, blank="—")
        self.health.choices = _choices(HEALTH, blank="—")
        self.request_category.choices = _choices(CATEGORIES, blank=_l("No request needed"))
        self.request_urgency.choices = _choices(URGENCIES)


class CallForm(FlaskForm):
    """A phone welfare call 电话慰问 on the ledger record."""

    outcome = SelectField(_l("How did the call go?"), choices=[], validate_choice=False)
    minutes = StringField(_l("Time spent (minutes)"), validators=[Optional(), Length(max=10)])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])
    form_token = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = _choices(CALL_OUTCOMES, blank="—")


class TeamForm(FlaskForm):
    name = StringField(
        _l("Team name"),
        validators=[DataRequired(message=_l("Give the team a name.")), Length(max=100)],
    )
    kind = SelectField(_l("Kind"), choices=[])
    leader_id = SelectField(_l("Leader"), choices=[], validate_choice=False)

    def __init__(self, *args, volunteers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [
            ("volunteer_team", str(_l("Volunteer team"))),
            ("social_org", str(_l("Social organisation"))),
        ]
        self.leader_id.choices = [("", "—")] + [(str(u.id), u.name) for u in volunteers]


class MemberForm(FlaskForm):
    volunteer_id = SelectField(_l("Volunteer"), choices=[], validate_choice=False)

    def __init__(self, *args, volunteers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.volunteer_id.choices = [("", "—")] + [(str(u.id), u.name) for u in volunteers]


class TeamHoursForm(FlaskForm):
    """When a team can go out: the week's parts of the day, and one time of its own."""

    slots = SelectMultipleField(_l("When can the team go out?"), choices=[], validate_choice=False)
    day = SelectField(_l("Another time: day"), choices=[], validate_choice=False)
    start = StringField(_l("From (e.g. 14:00)"), validators=[Optional(), Length(max=8)])
    end = StringField(_l("To (e.g. 17:30)"), validators=[Optional(), Length(max=8)])

    def __init__(self, *args, day_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.day.choices = [("", "—")] + [(str(i), str(name)) for i, name in enumerate(day_names)]


# --- staff and their certificates (issue 15, item 2) -----------------------------------------


class CertificateForm(FlaskForm):
    """A worker's certificate and training hours (the service checks both)."""

    certificate_level = SelectField(
        _l("Social-work certificate"), choices=[], validate_choice=False
    )
    training_hours = StringField(
        _l("Training hours"), validators=[Optional(), Length(max=12)], default="0"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.certificate_level.choices = _choices(CERTIFICATE_LEVELS)


class StaffForm(CertificateForm):
    """A new worker. Roles and stations are checked by the service, so an admin who posts
    one out of reach reads why next to the field."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Please enter the worker's name.")), Length(max=64)],
    )
    phone = StringField(
        _l("Mobile phone"),
        validators=[DataRequired(message=_l("Please enter a phone number.")), Length(max=20)],
    )
    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    station_id = SelectField(_l("Station"), choices=[], validate_choice=False)

    def __init__(self, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [
            (code, str(ROLES[code])) for code in ("social_worker", "station_admin")
        ]
        self.station_id.choices = [(str(s.id), s.name) for s in stations]
