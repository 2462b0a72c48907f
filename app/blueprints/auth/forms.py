from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    login = StringField(
        _l("Phone number or username"),
        validators=[
            DataRequired(message=_l("Please enter your phone number or username.")),
            Length(max=64),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Please enter your password."))]
    )


class ResetStartForm(FlaskForm):
    phone = TelField(
        _l("Mobile phone number"),
        validators=[DataRequired(message=_l("Please enter a phone number.")), Length(max=32)],
    )


def code_field() -> StringField:
    return StringField(
        _l("Code from the SMS (6 digits)"),
        validators=[
            DataRequired(message=_l("Please enter the code from the SMS.")),
            Length(max=16),
        ],
    )


class ResetCodeForm(FlaskForm):
    code = code_field()
    password = PasswordField(
        _l("New password (at least 8 characters)"),
        validators=[
            DataRequired(message=_l("The password needs at least 8 characters.")),
            Length(min=8, max=128, message=_l("The password needs at least 8 characters.")),
        ],
    )


class PhoneCodeForm(FlaskForm):
    code = code_field()


class EmptyForm(FlaskForm):
    """Ask for a new code: only the CSRF token."""
