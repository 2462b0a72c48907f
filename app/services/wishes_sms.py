"""Claiming a micro-wish by SMS: "认领 482193" (or "RL 482193"), a name may follow.

Keyword first: digits alone are offer replies for volunteers and commands for residents
(inbound.py), so a wish's code always comes after its word. The answer is the TwiML reply;
the claim itself is ``wishes.claim`` with ``channel="sms"``, as on the web.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Wish
from app.models.base import utcnow
from app.services import ServiceError, wishes
from app.services.notifications import with_station_phone
from app.services.notifications.templates import TEMPLATES, render
from app.services.wish_texts import donor_values

_CLAIM = re.compile(
    r"^(?:认领|rl)[\s:,.\-+、，。：;；]*([0-9][0-9\s\-]{4,9}[0-9])?(?:[\s,，。.]*(.*))?$"
)
_WORDS = ("认领", "rl")
_DIGITS_AND_STOPS = re.compile(r"^[0-9\s:,.\-+、，。：;；]+$")
# A text from a number that had a wish text lately is taken as its answer ("好的，谢谢"),
# not as a new request for help, unless it starts with this word.
DONOR_REPLY_WINDOW = timedelta(days=7)
ASK_WORD = "求助"
HELD = ("claimed", "confirmed")  # a donor holding a wish (claimed by SMS: no text yet)
# What a donor is sent once they claimed (not a claim code, which anyone can have sent to
# any number; not the family's texts: a family in need must be able to ask by SMS as ever).
_SENT_TO_DONORS = (
    "wish_claimed_donor",
    "wish_confirmed_donor",
    "wish_fulfilled_donor",
    "wish_claim_rejected",
    "wish_claim_lapsed",
    "wish_claim_expired",
    "wish_withdrawn_donor",
)
# With their forms for a station with no phone on file (wish_texts picks those).
DONOR_TEMPLATES = _SENT_TO_DONORS + tuple(
    f"{name}_no_phone" for name in _SENT_TO_DONORS if f"{name}_no_phone" in TEMPLATES
)


def parse(body: str) -> tuple[str, str] | None:
    """(code, name) for a claim text, ("", "") for the word without a code; None: not ours."""
    text = unicodedata.normalize("NFKC", body or "").strip().casefold()
    if not text.startswith(_WORDS):
        return None
    match = _CLAIM.match(text)
    if match is None:
        return None
    code = re.sub(r"[^0-9]", "", match.group(1) or "")
    name = (match.group(2) or "").strip()
    if not code and name and not text.startswith("认领") and not _DIGITS_AND_STOPS.match(name):
        return None  # "rlx…": some other word ("rl 12345", a code mistyped, is a claim)
    if not code:
        return "", ""  # "认领" and no code: how to claim
    # the name as written (not case-folded), after the code
    original = unicodedata.normalize("NFKC", body or "").strip()
    return code, original[len(original) - len(name) :] if name else ""


def answer(from_phone: str, body: str, language: str) -> str | None:
    """The reply to a wish claim text, or None when the text is no such claim."""
    parsed = parse(body)
    if parsed is None:
        return None
    code, name = parsed
    wish = wishes.by_code(code) if len(code) == 6 else None
    if wish is None:
        return render("wish_sms_help", language)
    try:
        with db.session.begin_nested():
            wishes.claim(wish, name=name[:64], phone=from_phone, channel="sms")
    except ServiceError as error:
        return render("reply_refused", language, reason=error.message)
    # The reply is the donor's confirmation (wishes.claim texts only the family for SMS).
    values = donor_values(wishes.public_view(wish), wish)
    template, _phone = with_station_phone(wish, "wish_claimed_donor")
    return render(template, language, **values)


def is_donor_reply(phone: str, text: str) -> bool:
    """Whether a text from a number with no account and no open request answers a donor's
    wish text we sent it in the last week ("好的，谢谢"): it then files no request. A text
    starting with 求助 is always a request."""
    if not phone or text.startswith(ASK_WORD):
        return False
    since = utcnow() - DONOR_REPLY_WINDOW
    sent = db.session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.to_phone == phone,
            OutboxMessage.created_at >= since,
            OutboxMessage.template.in_(DONOR_TEMPLATES),
        )
        .limit(1)
    )
    if sent is not None:
        return True
    holding = select(Wish.id).where(Wish.donor_phone == phone, Wish.status.in_(HELD)).limit(1)
    return db.session.scalar(holding) is not None
