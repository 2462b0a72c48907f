"""The API keys page's form: a name for the new key, and its one-time token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length


class NewKeyForm(FlaskForm):
    name = StringField(_l("Name of the key"), validators=[Length(max=64)])
    form_token = HiddenField()  # one-time: a reload or a second tap makes no second key
