"""Phone numbers: parsed with phonenumbers (default region CN), stored as E.164."""

from __future__ import annotations

import phonenumbers
from flask_babel import gettext as _

from app.services import ServiceError


def normalise_phone(raw: str, region: str = "CN") -> str:
    """Return the E.164 form of ``raw`` or raise ServiceError with a plain message."""
    text = (raw or "").strip()
    if not text:
        raise ServiceError(_("Please enter a phone number."), field="phone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ServiceError(
            _("This does not look like a phone number. Example: 138 0013 8000."), field="phone"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ServiceError(
            _("This phone number is not valid. Check the digits, e.g. 138 0013 8000."),
            field="phone",
        )
    if region == "CN" and phonenumbers.region_code_for_number(number) != "CN":
        # Stations serve mainland China; a foreign number only lets a stranger make us
        # text (and pay for) numbers abroad.
        raise ServiceError(
            _("Please enter a mainland China phone number, e.g. 138 0013 8000."), field="phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalise_phone(raw: str, region: str = "CN") -> str | None:
    try:
        return normalise_phone(raw, region)
    except ServiceError:
        return None


def mask_phone(e164: str | None) -> str:
    """138********: what everyone but the serving station's workers sees.

    Never the last four digits: with a tracking code they open the resident's own page,
    where anyone could cancel, confirm or rate in the resident's name.
    """
    if not e164:
        return ""
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 3)


def typed_number_hint(e164: str | None) -> str:
    """139****2222: the number a person has just typed, shown back to that person so they
    can see whether it was right (sign-up and reset codes). Nobody learns anything from
    it they did not type themselves; never use it for someone else's number."""
    if not e164:
        return ""
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
