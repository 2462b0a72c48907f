"""The donor's claim form on a wish's public page (issue 18)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length

from app.blueprints.public.forms import PublicForm
from app.services.wishes import DONOR_KINDS


class WishClaimForm(PublicForm):
    name = StringField(
        _l("Your name, or your company's or team's"),
        validators=[DataRequired(message=_l("Tell us a name to thank.")), Length(max=64)],
    )
    phone = StringField(
        _l("Mobile phone"),
        validators=[DataRequired(message=_l("Please enter a phone number.")), Length(max=32)],
    )
    kind = RadioField(_l("Who is giving?"), choices=[], default="individual")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(code, str(text)) for code, text in DONOR_KINDS.items()]


class WishCodeForm(PublicForm):
    code = StringField(
        _l("The 6-digit code we texted you"),
        validators=[
            DataRequired(message=_l("Please enter the code from the SMS.")),
            Length(max=12),
        ],
    )
