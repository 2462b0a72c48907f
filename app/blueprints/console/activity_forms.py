"""The forms of the console's activity pages (issue 18). The use cases do the real checks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.blueprints.console.forms import MultiCheckboxField, _choices
from app.models.vocab import ACTIVITY_KINDS, CATEGORIES, SPECIAL_GROUPS


class ActivityForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give the activity a title.")), Length(max=80)],
    )
    kind = SelectField(_l("Kind"), choices=[])
    day = StringField(_l("Day"), validators=[DataRequired(message=_l("Choose the day."))])
    time = StringField(_l("Start time"), validators=[DataRequired(message=_l("Choose the time."))])
    # Text, not number fields: the use case words every refusal.
    minutes = StringField(_l("Duration (minutes)"), default="120")
    village_id = SelectField(_l("Village"), choices=[], validators=[Optional()])
    place = StringField(_l("Meeting point"), validators=[Optional(), Length(max=100)])
    door_to_door = BooleanField(_l("Door to door (volunteers go to people's homes)"))
    volunteer_capacity = StringField(_l("Volunteer places"), default="10")
    resident_capacity = StringField(_l("Resident places (optional)"))
    skills = MultiCheckboxField(_l("Skills wanted"), choices=[])
    special_groups = MultiCheckboxField(_l("Special groups it serves"), choices=[])
    description = TextAreaField(
        _l("What volunteers will do"), validators=[Optional(), Length(max=2000)]
    )

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(ACTIVITY_KINDS)
        self.village_id.choices = [("", str(_l("Choose a village")))] + [
            (str(v.id), v.name) for v in villages
        ]
        self.skills.choices = _choices(CATEGORIES)
        self.special_groups.choices = _choices(SPECIAL_GROUPS)


class HeadCountForm(FlaskForm):
    head_count = StringField(_l("Other residents served (head count)"))


class ResidentForm(FlaskForm):
    beneficiary = SelectField(_l("A person from the ledger"), choices=[], validate_choice=False)
