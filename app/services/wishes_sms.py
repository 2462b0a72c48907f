"""Claiming a micro-wish by SMS: "认领 482193" (or "RL 482193"), a name may follow.

Keyword first: digits alone are offer replies for volunteers and commands for residents
(inbound.py), so a wish's code always comes after its word. The answer is the TwiML reply;
the claim itself is ``wishes.claim`` with ``channel="sms"``, as on the web.
"""

from __future__ import annotations

import re
import unicodedata

from app.extensions import db
from app.services import ServiceError, wishes
from app.services.notifications.templates import render
from app.services.wish_texts import donor_values

_CLAIM = re.compile(
    r"^(?:认领|rl)[\s:,.\-+、，。：;；]*([0-9][0-9\s\-]{4,9}[0-9])?(?:[\s,，。.]*(.*))?$"
)
_WORDS = ("认领", "rl")


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
    if not code and name and not text.startswith("认领"):
        return None  # "rlx…": some other word
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
    return render("wish_claimed_donor", language, **values)
