"""The console's micro-wish and resources forms (issue 18). The services do the checks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.services.resources import KINDS, SOURCES
from app.services.wishes import NEEDS


def _choices(vocabulary, skip=()):
    return [(code, str(text)) for code, text in vocabulary.items() if code not in skip]


class WishForm(FlaskForm):
    person = SelectField(_l("Child"), choices=[], validate_choice=False)
    what = StringField(
        _l("What does the child wish for?"),
        validators=[DataRequired(message=_l("Say what the child wishes for.")), Length(max=60)],
    )
    category = SelectField(_l("Kind of need"), choices=[])
    estimated_value = StringField(_l("Estimated value (yuan)"), validators=[Length(max=12)])
    deadline = DateField(
        _l("Wanted by"), validators=[DataRequired(message=_l("Choose a deadline after today."))]
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.person.choices = [(str(p.id), p.name) for p in people]
        self.category.choices = _choices(NEEDS)


class DeliverForm(FlaskForm):
    delivered_on = DateField(
        _l("Delivered on"),
        validators=[DataRequired(message=_l("Choose the day it was delivered."))],
    )
    actual_value = StringField(
        _l("Actual value (yuan, if different)"), validators=[Optional(), Length(max=12)]
    )
    thanks = TextAreaField(
        _l("Thanks from the family (optional, kept by the station)"),
        validators=[Optional(), Length(max=500)],
    )
    photo = FileField(_l("Photo of the delivery (optional, seen only by the station)"))


class ResourceForm(FlaskForm):
    source = SelectField(_l("Source"), choices=[])
    kind = SelectField(_l("Kind"), choices=[])
    donor_name = StringField(
        _l("Donor"), validators=[DataRequired(message=_l("Who gave it?")), Length(max=64)]
    )
    value = StringField(_l("Value (yuan)"), validators=[Length(max=14)])
    received_on = DateField(
        _l("Received on"), validators=[DataRequired(message=_l("Choose the day it came in."))]
    )
    purpose = StringField(_l("What it served"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source.choices = _choices(SOURCES, skip=("wish",))
        self.kind.choices = _choices(KINDS)
