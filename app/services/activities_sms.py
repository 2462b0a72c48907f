"""Community activities by SMS (issue 18): keyword-first commands, so none collides with
the offer replies (digits alone) or a STOP word ("cancel", "quit"):

- ``报名 52817`` / ``BM 52817``: sign up for activity 52817 (a place, or the waiting list);
- ``退出 52817`` / ``TC 52817``: withdraw, or leave the waiting list;
- ``签到 4821`` / ``QD 4821``: check in with the code the worker shows or texts.

Spaces, "+", ":" and full-width forms between the keyword and the code are fine (NFKC).
Only a volunteer with an account (a confirmed phone) can act here; anyone else sending a
command is told to confirm their phone or sign up first (never filed as a request). The words of every answer are in notifications/templates.py.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

from app.extensions import db
from app.models import Activity, User
from app.services import ServiceError, activities, wording
from app.services.notifications.templates import render

# A title is cut to this in a text, so the text stays one segment (70 characters in
# Chinese, 160 in plain English; an English text keeps to GSM-7: "..." not "…").
TITLE_CHARS = {"zh": 12, "en": 30}
_KEYWORDS = {"报名": "sign_up", "bm": "sign_up", "退出": "withdraw", "tc": "withdraw"}
_KEYWORDS |= {"签到": "check_in", "qd": "check_in"}
_COMMAND = re.compile(r"^(报名|退出|签到|bm|tc|qd)[\s:：,，+\-]*([0-9]{4,5})$")


def parse(body: str) -> tuple[str, str] | None:
    """(``sign_up`` | ``withdraw`` | ``check_in``, code), or None for any other text."""
    text = unicodedata.normalize("NFKC", body or "").strip().casefold().strip("!.。！ ")
    match = _COMMAND.match(text)
    if match is None:
        return None
    return _KEYWORDS[match.group(1)], match.group(2)


def text_values(activity: Activity, language: str | None) -> dict[str, str]:
    """What every activity text names: a title cut short, the time, the place, the code."""
    language = language if language in ("zh", "en") else "zh"
    title, most = activity.title, TITLE_CHARS[language]
    if len(title) > most:
        title = title[: most - 1] + "…" if language == "zh" else title[: most - 3] + "..."
    return {
        "title": title,
        "time": wording.date_time_text(activity.starts_at, language),
        "village": wording.place_label(activity),
        "code": activity.code,
    }


def reply(user: User | None, body: str, language: str) -> str | None:
    """The answer to an activity command from ``user``; None when the text is not one.
    Without an account (``user`` None: a stranger, or a phone never confirmed) the answer
    says how to sign up, and nothing is filed. A refusal rolls back only what the command
    had begun; "" means no answer at all (guessing check-in codes after the lock)."""
    command = parse(body)
    if command is None:
        return None
    kind, code = command
    if user is None:  # a stranger, or a volunteer whose phone is not confirmed yet
        return render("activity_need_account", language)
    try:
        with db.session.begin_nested():
            if kind == "check_in":
                signup = activities.check_in_by_code(user, code)
                return render(
                    "activity_checked_in", language, **text_values(signup.activity, language)
                )
            activity = activities.scheduled_by_code(code)
            if activity is None:
                raise ServiceError(_("No activity has the code %(code)s.", code=code))
            if kind == "sign_up":
                activities.sign_up(activity, user, channel="sms", notify=False)
            else:
                activities.withdraw(activity, user, notify=False)
    except activities.WrongCode as error:
        activities.count_wrong_code(error)  # kept: the refusal rolled back only the check-in
        # once locked and told so, further guesses get no (paid) answer at all
        return "" if error.silent else render("reply_refused", language, reason=error.message)
    except ServiceError as error:
        return render("reply_refused", language, reason=error.message)
    # the answer is the confirmation (the use case was told not to text it too)
    template = "activity_withdrawn" if kind == "withdraw" else None
    signup = activities.signup_of(activity, user)
    if template is None:
        template = "activity_signed_up" if signup.status == "signed_up" else "activity_waiting"
    return render(template, language, **text_values(activity, language))
