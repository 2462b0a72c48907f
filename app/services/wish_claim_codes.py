"""A web claim of a micro-wish proves the phone is the donor's (issue 18): the form sends a
6-digit code to the phone, and the wish is claimed when the code comes back.

Without it, a stranger could claim every wish of the board with numbers that are not
theirs (and have us text those numbers). The code is a ``phone_codes`` flow of purpose
"wish": a row in the database with its tries (5), its 10 minutes and the number it was
sent to, so replaying an old session cookie gives no new tries; a number gets at most
``phone_codes.PHONE_HOURLY_NUMBER_CODES`` codes an hour, counted apart from the sign-up and
password codes of an account with that number (which a stranger could otherwise use up).
The browser keeps only the flow's ticket, the wish, and the name and kind typed. Whether
the number already holds a wish is asked only once the code proved the phone (a stranger
typing someone's number learns nothing). Texting "认领 <code>" from the phone
(wishes_sms) needs no code: the text comes from the phone itself.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.models import Wish
from app.services import ServiceError, phone_codes
from app.services.wishes import check_claim, claim

PURPOSE = "wish"
MAX_TRIES = phone_codes.MAX_ATTEMPTS


def send_code(wish: Wish, *, name: str, phone: str, kind: str) -> dict:
    """Check the claim could go through and text the code; returns what the browser keeps
    until the code comes back (``confirm_code``)."""
    name, phone = check_claim(wish, name=name, phone=phone, kind=kind, channel="web")
    ticket = phone_codes.start_for_phone(PURPOSE, phone)
    return {"wish": wish.id, "name": name, "phone": phone, "kind": kind, "ticket": ticket}


def confirm_code(wish: Wish, pending: dict | None, code: str) -> Wish:
    """Claim the wish for the number the code went to, when ``code`` is the one sent (first
    claim wins, as always). A wrong code counts a try in the database: the caller commits
    even when this raises."""
    if not pending or pending.get("wish") != wish.id or not pending.get("ticket"):
        raise ServiceError(_("Please fill in the form again."), field="code")
    phone = phone_codes.redeem_phone(pending["ticket"], PURPOSE, code)
    return claim(wish, name=pending.get("name", ""), phone=phone, kind=pending.get("kind", ""))
