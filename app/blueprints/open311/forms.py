"""The API keys page's form: a name for the new key."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length


class NewKeyForm(FlaskForm):
    name = StringField(_l("Name of the key"), validators=[Length(max=64)])
