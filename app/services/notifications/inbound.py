"""Texts people send us: commands (accept, decline, stop, start, help) and new requests.

Commands are read case- and width-insensitively (NFKC): "Y K7M3", "ｙ ｋ７ｍ３", "是K7M3".
The answer is a short text in the sender's language, sent back as the TwiML reply.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models import Beneficiary, HelpRequest, InboundMessage, User
from app.models.base import utcnow
from app.services import ServiceError, claims, intake, links, privacy, wording, workflow
from app.services.codes import ALPHABET, normalise_code
from app.services.notifications import delivery
from app.services.notifications.templates import render

STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke", "td", "退订"}
)
START_WORDS = frozenset({"start", "unstop", "开始", "恢复"})
HELP_WORDS = frozenset({"help", "info", "帮助", "?", "？"})
ACCEPT_WORDS = ("yes", "y", "是", "接单")
DECLINE_WORDS = ("no", "n", "否", "不接")
_CODE = rf"[{ALPHABET.lower()}]{{3,8}}"  # reply codes avoid look-alikes: "no thing" is no code
_SEPARATORS = r"[\s:,.\-、，。：]*"
_ACCEPT = re.compile(rf"^(?:{'|'.join(ACCEPT_WORDS)}){_SEPARATORS}({_CODE})$")
_DECLINE = re.compile(rf"^(?:{'|'.join(DECLINE_WORDS)}){_SEPARATORS}({_CODE})$")
FOLLOW_UP_WINDOW = timedelta(days=7)  # a text from a resident with an open request joins it


@dataclass(frozen=True)
class Command:
    kind: str  # accept | decline | need_code | stop | start | help | text
    code: str = ""


def parse(body: str) -> Command:
    text = unicodedata.normalize("NFKC", body or "").strip().casefold()
    text = text.rstrip("!.。！ ")
    if text in STOP_WORDS:
        return Command("stop")
    if text in START_WORDS:
        return Command("start")
    if text in HELP_WORDS:
        return Command("help")
    if text in ACCEPT_WORDS or text in DECLINE_WORDS:
        return Command("need_code")
    if match := _ACCEPT.match(text):
        return Command("accept", normalise_code(match.group(1)))
    if match := _DECLINE.match(text):
        return Command("decline", normalise_code(match.group(1)))
    return Command("text")


def guess_language(body: str) -> str:
    """For senders we do not know: Latin letters and no Chinese means English."""
    has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in body)
    has_latin = any(ch.isascii() and ch.isalpha() for ch in body)
    return "en" if has_latin and not has_cjk else "zh"


def handle_inbound(from_phone: str, body: str, provider_id: str | None) -> InboundMessage:
    """Store the text and act on it; ``.reply`` holds the answer. A provider id seen before
    returns the earlier row untouched (Twilio retried the webhook). Flushes, never commits."""
    if provider_id:
        seen = db.session.scalar(
            select(InboundMessage).where(InboundMessage.provider_id == provider_id)
        )
        if seen is not None:
            return seen
    message = InboundMessage(
        from_phone=from_phone[:20], body=(body or "")[:1600], provider_id=provider_id or None
    )
    db.session.add(message)
    db.session.flush()  # a concurrent retry of the same webhook fails here (unique id)
    # An account whose phone was never confirmed (issue 13) is not this number's owner:
    # its text is a resident's.
    user = db.session.scalar(
        select(User).where(User.phone == from_phone, User.phone_confirmed_at.is_not(None))
    )
    language = user.language if user is not None and user.language in ("zh", "en") else None
    language = language or guess_language(body or "")
    command = parse(body)
    message.command = command.kind
    with force_locale(language):
        message.reply = _answer(message, command, user, language)
    db.session.flush()
    return message


def _answer(message: InboundMessage, command: Command, user: User | None, language: str) -> str:
    phone = message.from_phone
    if command.kind == "stop":
        delivery.opt_out(phone)
        return render("reply_stopped", language)
    if command.kind == "start":
        delivery.opt_in(phone)
        return render("reply_started", language)
    if command.kind == "help":
        return render("reply_help", language)
    if command.kind == "need_code":
        return render("reply_need_code", language)
    if command.kind in ("accept", "decline") and user is not None:
        return _answer_offer(message, command, language)
    if user is not None or not (message.body or "").strip():
        return render("reply_help", language)  # chat from a volunteer, or an empty text
    return _answer_resident(message, language)


def _answer_offer(message: InboundMessage, command: Command, language: str) -> str:
    try:
        with db.session.begin_nested():
            if command.kind == "accept":
                request = claims.accept_offer_by_code(message.from_phone, command.code)
            else:
                offer = claims.decline_offer_by_code(message.from_phone, command.code)
    except ServiceError as error:
        return render("reply_refused", language, reason=error.message)
    if command.kind == "decline":
        message.request_id = offer.request_id
        return render("reply_declined", language, code=command.code)
    message.request_id = request.id
    return render(
        "reply_accepted",
        language,
        code=privacy.task_number(request),
        category=wording.category_label(request.category),
        village=wording.place_label(request),
        time=wording.wanted_time_text(request.wanted_at, language=language),
        link=links.tasks_link(),
    )


def _answer_resident(message: InboundMessage, language: str) -> str:
    """A text from someone who is not a user: it joins their open request, or starts one."""
    phone, text = message.from_phone, (message.body or "").strip()
    open_request = db.session.scalars(
        select(HelpRequest)
        .where(
            HelpRequest.contact_phone == phone,
            HelpRequest.status.in_(workflow.OPEN_STATUSES),
            HelpRequest.created_at >= utcnow() - FOLLOW_UP_WINDOW,
        )
        .order_by(HelpRequest.created_at.desc())
        .limit(1)
    ).first()
    if open_request is not None:
        workflow.record_event(
            open_request, "sms_received", actor_label="sms", note=text, public=False
        )
        message.request_id = open_request.id
        return render(
            "reply_added",
            language,
            code=open_request.code,
            link=links.tracking_link(open_request.code),
        )
    request = intake.submit_request(
        channel="sms",
        acknowledge=False,  # the TwiML reply below is the confirmation
        category="other",
        description=text,
        contact_phone=phone,
        language=language,
        consent=True,
        consent_method="sms",
        actor_label="sms",
        beneficiary=_known_beneficiary(phone),
    )
    message.request_id = request.id
    return render(
        "request_received", language, code=request.code, link=links.tracking_link(request.code)
    )


def _known_beneficiary(phone: str):
    """A person in a station's ledger with this phone (only if exactly one): the request
    then goes to their station and village instead of the county centre."""
    found = db.session.scalars(select(Beneficiary).where(Beneficiary.phone == phone).limit(2)).all()
    return found[0] if len(found) == 1 else None
