"""Texts people send us: commands (accept, decline, stop, start, help, follow, confirm)
and new requests.

Every reply syntax a text of ours shows is read exactly as shown, and in common variants:
full-width letters and digits (NFKC), any case, spaces, dashes, "+" and punctuation
between the parts, the words 是/好/接/接单/Y/yes and 否/不接/N/no before or after the
code, quotes around a keyword. Digits alone do everything a feature phone needs:

- a volunteer (a number with an account): ``4821`` takes offer 4821, ``04821`` (or
  ``0 4821``) declines it; old letter codes work after a word: ``Y FTHT 接单``.
- a resident (any other number): ``0`` tells how their latest request stands, its
  8-digit code tells how that one stands, ``1`` confirms the work done, ``2`` says it was
  not solved; other words join their open request, or start one.

The answer is a short text sent back as the TwiML reply, in the language of the person's
account, else of their latest request, else guessed from the text (issue 16).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Beneficiary, HelpRequest, InboundMessage, User
from app.models.base import utcnow
from app.services import (
    ServiceError,
    activities_sms,
    claims,
    intake,
    links,
    privacy,
    tracking,
    wishes_sms,
    wording,
    workflow,
)
from app.services.codes import OLD_ALPHABET, REPLY_LENGTH, TRACKING_LENGTH, normalise_code
from app.services.notifications import delivery, resident_text
from app.services.notifications.templates import render

STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke", "td", "退订"}
)
START_WORDS = frozenset({"start", "unstop", "开始", "恢复"})
HELP_WORDS = frozenset({"help", "info", "帮助", "?"})
FOLLOW_WORDS = frozenset({"查询", "进度", "查进度"})  # the same as "0"
ACCEPT_WORDS = ("接单", "yes", "ok", "y", "是", "好", "接")  # longest first: a regex tries in order
DECLINE_WORDS = ("不接", "no", "n", "否", "不")
_SEP = r"[\s:,.\-+、，。：;；]*"
_CODE = rf"(?:[0-9]{{{REPLY_LENGTH}}}|[{OLD_ALPHABET.lower()}]{{3,8}})"  # no look-alikes: "no thing" is no code
_ACCEPT_WORD = "(?:" + "|".join(ACCEPT_WORDS) + ")"
_DECLINE_WORD = "(?:" + "|".join(DECLINE_WORDS) + ")"
_ACCEPT = re.compile(rf"^{_ACCEPT_WORD}{_SEP}({_CODE}){_SEP}{_ACCEPT_WORD}?$")
_DECLINE = re.compile(rf"^{_DECLINE_WORD}{_SEP}({_CODE}){_SEP}{_DECLINE_WORD}?$")
_CODE_THEN_WORD = re.compile(rf"^({_CODE}){_SEP}(?:({_ACCEPT_WORD})|{_DECLINE_WORD})$")
_DIGITS_ONLY = re.compile(r"^[0-9\s\-+.,，。]+$")
_QUOTES_AND_STOPS = "!.。！ \"'“”‘’「」『』"
FOLLOW_UP_WINDOW = timedelta(days=7)  # a text from a resident with an open request joins it


@dataclass(frozen=True)
class Command:
    # accept | decline | need_code | stop | start | help | follow | solved | not_solved |
    # track (a tracking code) | digits (digits that mean nothing) | text
    kind: str
    code: str = ""


def parse(body: str) -> Command:
    text = unicodedata.normalize("NFKC", body or "").strip().casefold()
    text = text.strip(_QUOTES_AND_STOPS)
    if text in STOP_WORDS:
        return Command("stop")
    if text in START_WORDS:
        return Command("start")
    if text in HELP_WORDS:
        return Command("help")
    if text in FOLLOW_WORDS:
        return Command("follow")
    if text in ACCEPT_WORDS or text in DECLINE_WORDS:
        return Command("need_code")
    if _DIGITS_ONLY.match(text):
        return _digits(re.sub(r"[^0-9]", "", text))
    if match := _ACCEPT.match(text):
        return Command("accept", normalise_code(match.group(1)))
    if match := _DECLINE.match(text):
        return Command("decline", normalise_code(match.group(1)))
    if match := _CODE_THEN_WORD.match(text):
        kind = "accept" if match.group(2) else "decline"
        return Command(kind, normalise_code(match.group(1)))
    return Command("text")


def _digits(digits: str) -> Command:
    """A text of digits alone (spaces and dashes between them allowed)."""
    simple = {"0": "follow", "1": "solved", "2": "not_solved"}
    if digits in simple:
        return Command(simple[digits])
    if len(digits) == REPLY_LENGTH and digits[0] != "0":
        return Command("accept", digits)
    if len(digits) == REPLY_LENGTH + 1 and digits[0] == "0" and digits[1] != "0":
        return Command("decline", digits[1:])
    if len(digits) == TRACKING_LENGTH:
        return Command("track", digits)
    return Command("digits", digits)


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
    command = parse(body)
    message.command = command.kind
    language = _language(user, from_phone, body or "")
    with force_locale(language):
        message.reply = _answer(message, command, user, language)
    db.session.flush()
    return message


def _language(user: User | None, phone: str, body: str) -> str:
    """The account's language; else that of the latest request from this phone (the reply
    comes in the language the person asked in, whatever keyword they send); else a guess."""
    if user is not None:
        return user.language if user.language in ("zh", "en") else guess_language(body)
    latest = _latest_request(phone)
    if latest is not None and latest.language in ("zh", "en"):
        return latest.language
    return guess_language(body)


def _answer(message: InboundMessage, command: Command, user: User | None, language: str) -> str:
    phone = message.from_phone
    if command.kind == "stop":
        delivery.opt_out(phone)
        return render("reply_stopped", language)
    if command.kind == "start":
        delivery.opt_in(phone)
        return render("reply_started", language)
    if (answer := activities_sms.reply(user, message.body, language)) is not None:
        return answer  # 报名/退出/签到 <code> (issue 18), from anyone: never a request
    if (wish_reply := wishes_sms.answer(phone, message.body or "", language)) is not None:
        message.command = "wish_claim"  # "认领 482193": a donor claims a micro-wish (issue 18)
        return wish_reply
    if user is not None:
        return _answer_account(message, command, language)
    if command.kind == "help" or not (message.body or "").strip():
        return render("reply_help_resident", language)
    if command.kind in ("follow", "solved", "not_solved", "track"):
        return _answer_follow(message, command, language)
    if command.kind in ("accept", "decline") and not command.code.isdigit():
        # "No water", "Need help": words that read like an old letter-code reply, from
        # someone with no account, are a resident's words
        return _answer_resident(message, language)
    if command.kind != "text":  # a volunteer's reply, or digits that mean nothing
        return render("reply_help_resident", language)
    return _answer_resident(message, language)


def _answer_account(message: InboundMessage, command: Command, language: str) -> str:
    if command.kind == "need_code":
        return render("reply_need_code", language)
    if command.kind in ("accept", "decline"):
        return _answer_offer(message, command, language)
    return render("reply_help", language)  # help, chat from a volunteer, or an empty text


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


# --- residents ---------------------------------------------------------------------------


def _latest_request(phone: str, *, status: str | None = None) -> HelpRequest | None:
    query = select(HelpRequest).where(HelpRequest.contact_phone == phone)
    if status is not None:
        query = query.where(HelpRequest.status == status)
    return db.session.scalars(
        query.order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc()).limit(1)
    ).first()


def _answer_follow(message: InboundMessage, command: Command, language: str) -> str:
    """0, a tracking code, 1 or 2 from a resident: only about requests filed with the
    number the text comes from (the sender's number proves more than the last four
    digits of the web look-up)."""
    phone = message.from_phone
    if command.kind == "track":
        found = tracking.by_code(command.code)
        if found is None or found.contact_phone != phone:
            reason = _("We could not find a request with this code for your number.")
            return render("reply_refused", language, reason=reason)
        return _status(message, found, language)
    latest = _latest_request(phone)
    if latest is None:
        return render("reply_help_resident", language)
    if command.kind == "follow":
        return _status(message, latest, language)
    done = _latest_request(phone, status="done")
    if done is None:
        return _status(message, latest, language)  # nothing waits for their word: say how it stands
    message.request_id = done.id
    try:
        with db.session.begin_nested():
            if command.kind == "solved":
                tracking.confirm_done(done)
            else:
                tracking.not_solved(done, note=_("Said by SMS: not solved"))
    except ServiceError as error:
        return render("reply_refused", language, reason=error.message)
    template = "reply_confirmed" if command.kind == "solved" else "reply_reopened"
    return render(template, language, **resident_text(done, template)[1])


def _status(message: InboundMessage, request: HelpRequest, language: str) -> str:
    """How the request stands, in the words of its tracking page's latest line."""
    message.request_id = request.id
    steps = tracking.timeline(request)
    status = steps[-1].text if steps else wording.status_label(request.status, language)
    template = "reply_status_done" if request.status == "done" else "reply_status"
    return render(template, language, status=status, **resident_text(request, template)[1])


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
        return render("reply_added", language, **resident_text(open_request, "reply_added")[1])
    if wishes_sms.is_donor_reply(phone, text):  # "好的，谢谢" to a wish text: no request
        message.command = "wish_reply"
        return render("wish_donor_reply", language)
    language = guess_language(text)  # a new request is in the words it is written in
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
    template, values = resident_text(request, "request_received")
    with force_locale(language):
        return render(template, language, **values, **intake.received_values(request))


def _known_beneficiary(phone: str):
    """A person in a station's ledger with this phone (only if exactly one): the request
    then goes to their station and village instead of the county centre."""
    found = db.session.scalars(select(Beneficiary).where(Beneficiary.phone == phone).limit(2)).all()
    return found[0] if len(found) == 1 else None
