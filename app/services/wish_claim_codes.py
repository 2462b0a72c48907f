"""A web claim of a micro-wish proves the phone is the donor's (issue 18): the form sends a
6-digit code to the phone, and the wish is claimed when the code comes back.

Without it, a stranger could claim every wish of the board with numbers that are not
theirs (and have us text those numbers). The browser keeps the pending claim in its
(signed) session; the code is kept only as an HMAC keyed with the app's secret, for 10
minutes and 5 tries. A phone gets at most 3 codes an hour, and the routes are rate-limited
per address. Texting "认领 <code>" from the phone (wishes_sms) needs no code: the text
comes from the phone itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage, Wish
from app.models.base import utcnow
from app.services import ServiceError
from app.services.notifications import queue_sms
from app.services.wishes import check_claim, claim

CODE_MINUTES = 10
MAX_TRIES = 5
PHONE_HOURLY_CODES = 3
TEMPLATE = "wish_claim_code"


def _digest(pending: dict, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    text = f"{pending['wish']}|{pending['phone']}|{pending['until']}|{code}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def send_code(wish: Wish, *, name: str, phone: str, kind: str) -> dict:
    """Check the claim could go through and text the code; returns what the browser keeps
    until the code comes back (``confirm_code``)."""
    name, phone = check_claim(wish, name=name, phone=phone, kind=kind, channel="web")
    recent = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.to_phone == phone,
            OutboxMessage.template == TEMPLATE,
            OutboxMessage.created_at >= utcnow() - timedelta(hours=1),
        )
    )
    if recent >= PHONE_HOURLY_CODES:
        raise ServiceError(
            _("We have sent this number several codes this hour. Please try later."),
            field="phone",
        )
    code = f"{secrets.randbelow(10**6):06d}"
    until = (utcnow() + timedelta(minutes=CODE_MINUTES)).isoformat(timespec="seconds")
    pending = {"wish": wish.id, "name": name, "phone": phone, "kind": kind, "until": until}
    pending["digest"] = _digest(pending, code)
    pending["tries"] = 0
    queue_sms(phone, TEMPLATE, code=code)
    return pending


def confirm_code(wish: Wish, pending: dict | None, code: str) -> Wish:
    """Claim the wish when ``code`` is the one sent (first claim wins, as always). The
    caller stores ``pending`` back: a wrong code counts a try."""
    if not pending or pending.get("wish") != wish.id:
        raise ServiceError(_("Please fill in the form again."), field="code")
    expired = datetime.fromisoformat(pending["until"]) < utcnow()
    if expired or pending.get("tries", 0) >= MAX_TRIES:
        raise ServiceError(
            _("This code no longer works. Please fill in the form again."), field="code"
        )
    pending["tries"] = pending.get("tries", 0) + 1
    typed = "".join(ch for ch in (code or "") if ch.isascii() and ch.isdigit())[:6]
    if not hmac.compare_digest(_digest(pending, typed), pending["digest"]):
        raise ServiceError(
            _("That is not the code we sent. Check the SMS and try again."), field="code"
        )
    return claim(wish, name=pending["name"], phone=pending["phone"], kind=pending["kind"])
