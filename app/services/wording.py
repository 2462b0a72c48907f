"""One wording table (STYLE.md 5a): local times and dates, places, phone numbers, and the
labels of categories, statuses and timeline events. An SMS and a page never word the same
thing twice; every template gets these as globals (registered once, app-wide).

Times are stored as naive UTC; ``to_local`` is the one conversion to the stations' time
zone (config ``LOCAL_TIMEZONE``), ``to_utc`` the one way back (a time typed in a form).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.i18n import once_per_locale
from app.models.base import utcnow
from app.models.vocab import (
    ACTIVITY_KINDS,
    ACTIVITY_STATUSES,
    ACTORS,
    CATEGORIES,
    CERTIFICATE_LEVELS,
    CHANNELS,
    EVENTS,
    ROLES,
    SIGNUP_STATUSES,
    SPECIAL_GROUPS,
    STATUSES,
    URGENCIES,
    label,
)
from app.services.codes import code_text  # '3806 1472': a tracking code as read out

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# --- time ---------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    return _zone(current_app.config.get("LOCAL_TIMEZONE", "Asia/Shanghai"))


def to_local(moment: datetime) -> datetime:
    """A stored time (naive UTC, or aware) as an aware local time."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(local_zone())


def to_utc(local: datetime) -> datetime:
    """A local time (naive, as a form gives it, or aware) as stored: naive UTC."""
    aware = local.replace(tzinfo=local_zone()) if local.tzinfo is None else local
    return aware.astimezone(UTC).replace(tzinfo=None)


def w3c_time(moment: datetime | None) -> str:
    """A stored time as a W3C (ISO 8601) UTC time to the second, for the API; "" for none."""
    if moment is None:
        return ""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def local_date(moment: datetime) -> date:
    return to_local(moment).date()


def local_today() -> date:
    return local_date(utcnow())


def _in_language(language: str | None):
    """Word in ``language`` (an SMS to someone), or in the page's language when None."""
    return force_locale(language) if language else nullcontext()


def _current_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "zh"


def date_time_text(moment: datetime, language: str | None = None) -> str:
    """'11月28日 14:00' / '28 Nov 14:00': a day and a time, in SMS and pages alike."""
    local = to_local(moment)
    if (language or _current_language()) == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {_MONTHS[local.month - 1]} {local:%H:%M}"


def day_text(day: date, language: str | None = None) -> str:
    """'12月20日' / '20 Dec': a calendar day (a wish's deadline), in SMS and pages alike."""
    if (language or _current_language()) == "zh":
        return f"{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]}"


def yuan_text(value, language: str | None = None) -> str:
    """'120 元' / '120 yuan' (a wish's value, a resources line): whole yuan without '.00',
    cents kept when there are some."""
    amount = Decimal(str(value or 0)).quantize(Decimal("0.01"))
    number = f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"
    return f"{number} 元" if (language or _current_language()) == "zh" else f"{number} yuan"


def clock_text(moment: datetime) -> str:
    """'14:00': the time of day alone (a reminder the evening before)."""
    return f"{to_local(moment):%H:%M}"


def stamp_text(moment: datetime | None) -> str:
    """'2026-11-28 14:00': a record's time (hours, certificates, answer-by times)."""
    return "" if moment is None else f"{to_local(moment):%Y-%m-%d %H:%M}"


def wanted_time_text(
    wanted_at: datetime | None, note: str = "", language: str | None = None
) -> str:
    """When a request wants help: its day and time; without one, the resident's note, else
    'any time'."""
    if wanted_at is not None:
        return date_time_text(wanted_at, language)
    if note:
        return note
    with _in_language(language):
        return _("any time")


def waited(since: datetime | None, now: datetime | None = None) -> str:
    """How long something has waited: '5 min', '3 h', '4 days'."""
    return waited_all([since], now)[0]


def waited_all(moments: Iterable[datetime | None], now: datetime | None = None) -> list[str]:
    """``waited`` for each of many moments (a list's lines), each unit's words translated
    once for all of them, not once a line."""
    now = now or utcnow()
    patterns: dict[int, str] = {}  # minutes a unit: its words with a place for the number
    said = []
    for since in moments:
        if since is None:
            said.append("")
            continue
        minutes = max(0, int((now - since).total_seconds() // 60))
        unit = 1 if minutes < 60 else 60 if minutes < 48 * 60 else 24 * 60
        if unit not in patterns:
            patterns[unit] = _waited_words(unit)
        said.append(patterns[unit] % {"n": minutes // unit})
    return said


def _waited_words(unit: int) -> str:
    if unit == 1:
        return _("%(n)d min")
    if unit == 60:
        return _("%(n)d h")
    return _("%(n)d days")


def within_text(minutes: int, language: str | None = None) -> str:
    """A promised delay in plain words: 'within 15 minutes', 'within 2 hours', 'within a
    day' (a response target, told to a resident on the page and by SMS)."""
    with _in_language(language):
        if minutes < 60:
            return _("within %(n)d minutes", n=minutes)
        if minutes < 24 * 60 or minutes % (24 * 60):
            hours = -(-minutes // 60)
            return _("within an hour") if hours == 1 else _("within %(n)d hours", n=hours)
        days = minutes // (24 * 60)
        return _("within a day") if days == 1 else _("within %(n)d days", n=days)


def until_text(moment: datetime, language: str | None = None) -> str:
    """Until when something stands: its local clock time when that is today, else its
    day and time ('14:30' / '11月29日 09:30')."""
    if to_local(moment).date() == local_today():
        return clock_text(moment)
    return date_time_text(moment, language)


# --- places and phones ------------------------------------------------------------------


def place_label(request) -> str:
    """Where a request is, as a volunteer may read it before a claim: the village, else
    the station's name."""
    if request.village is not None:
        return request.village.name
    return request.station.name if request.station is not None else ""


def phone_display(e164: str | None) -> str:
    """'138 0013 8000' / '0371 1234 5678': a number as people write it at home (the
    national format). A link to call uses the stored E.164 number, not this."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# --- labels -----------------------------------------------------------------------------


def _label(vocabulary: dict[str, object], code: str | None, language: str | None) -> str:
    with _in_language(language):
        return label(vocabulary, code)


def activity_kind_label(code: str | None, language: str | None = None) -> str:
    return _label(ACTIVITY_KINDS, code, language)


def activity_status_label(code: str | None, language: str | None = None) -> str:
    return _label(ACTIVITY_STATUSES, code, language)


def signup_status_label(code: str | None, language: str | None = None) -> str:
    return _label(SIGNUP_STATUSES, code, language)


def category_label(code: str | None, language: str | None = None) -> str:
    return _label(CATEGORIES, code, language)


def status_label(status: str | None, language: str | None = None) -> str:
    return _label(STATUSES, status, language)


def urgency_label(code: str | None, language: str | None = None) -> str:
    return _label(URGENCIES, code, language)


def group_label(code: str | None, language: str | None = None) -> str:
    return _label(SPECIAL_GROUPS, code, language)


def channel_label(code: str | None, language: str | None = None) -> str:
    return _label(CHANNELS, code, language)


_VOCABULARIES = {
    "category": CATEGORIES,
    "status": STATUSES,
    "urgency": URGENCIES,
    "group": SPECIAL_GROUPS,
    "channel": CHANNELS,
}


def labels_for(**codes: Iterable[str | None]) -> dict[str, dict[str | None, str]]:
    """The labels of the codes a list shows, each distinct code translated once:
    ``labels_for(category=[...], urgency=[...])`` -> ``{"category": {code: label}, ...}``.
    A page of fifty rows otherwise asks gettext the same question a hundred times; the
    vocabularies are static, so each is translated once per locale (``_labels_by_kind``)."""
    every_label = _labels_by_kind()
    found = {}
    for kind, values in codes.items():
        labels = every_label[kind]
        found[kind] = {
            code: labels[code] if code in labels else label(_VOCABULARIES[kind], code)
            for code in set(values)
        }
    return found


def _labels_by_kind() -> dict[str, dict[str, str]]:
    """Every label of every vocabulary of ``_VOCABULARIES`` in the current locale."""
    return once_per_locale(
        "labels",
        lambda: {
            kind: {code: label(vocabulary, code) for code in vocabulary}
            for kind, vocabulary in _VOCABULARIES.items()
        },
    )


def role_label(code: str | None, language: str | None = None) -> str:
    return _label(ROLES, code, language)


def certificate_label(code: str | None, language: str | None = None) -> str:
    """A worker's social-work certificate; "No certificate" for none."""
    return _label(CERTIFICATE_LEVELS, code or "", language)


def event_label(event) -> str:
    """A timeline event as staff read it: its own label, a move's label, or the status it
    moved to."""
    from app.services.workflow import MOVES

    if event.action == "rated" and event.request.rating:
        return _("Rated by the resident: %(n)s of 5 stars", n=event.request.rating)
    if event.action in EVENTS:
        return str(EVENTS[event.action])
    move = MOVES.get(event.action)
    if move is not None:
        return str(move.label)
    return status_label(event.to_status) if event.to_status else event.action


def event_actor(event) -> str:
    """Who made a timeline event, as staff read it."""
    if event.actor is not None:
        return event.actor.name
    return str(ACTORS.get(event.actor_label, event.actor_label or ""))


def resident_event_text(event, name: str) -> str | None:
    """A public timeline event in the plain words the resident reads (``name``: who is
    helping, as the resident may know them); None for one the resident is not shown."""
    action = event.action
    if action == "created":
        return _("We received your request.")
    if action == "accept":
        return _("The social work station accepted your request.")
    if action == "reject":
        return _("The station could not take this request. They will explain by phone.")
    if action == "offer":
        return _("We are looking for a volunteer near you.")
    if action in ("claim", "assign"):
        if name:
            return _("%(name)s will help you.", name=name)
        return _("A helper has been found.")
    if action == "release":
        return _("The helper could not come. We are finding someone else.")
    if action == "check_in":
        if name:
            return _("%(name)s is on the way or with you now.", name=name)
        return _("The helper is on the way or with you now.")
    if action == "check_out":
        return _("The work is marked as done. Please tell us if it was.")
    if action == "confirm":
        return _("You confirmed the work was done. Thank you.")
    if action == "reopen":
        return _("You said it was not solved. We reopened your request.")
    if action in ("close", "auto_close"):
        return _("Your request is closed.")
    if action == "cancel":
        return _("The request was cancelled.")
    if action == "merge":
        # Neutral: whoever tracks this one may not own the request it was merged into.
        return _(
            "The social work station has closed this request. If you still need help, "
            "please ask again or call the station."
        )
    if action == "rated":
        return _("You rated the help.")
    if action == "note" and event.note:
        return _("Message from the station: %(note)s", note=event.note)
    return None


TEMPLATE_GLOBALS = {
    "category_label": category_label,
    "status_label": status_label,
    "urgency_label": urgency_label,
    "group_label": group_label,
    "channel_label": channel_label,
    "role_label": role_label,
    "certificate_label": certificate_label,
    "event_label": event_label,
    "event_actor": event_actor,
    "place_label": place_label,
    "activity_kind_label": activity_kind_label,
    "activity_status_label": activity_status_label,
    "signup_status_label": signup_status_label,
    "phone_display": phone_display,
    "code_text": code_text,
    "stamp_text": stamp_text,
    "day_text": day_text,
    "yuan_text": yuan_text,
    "wanted_time_text": wanted_time_text,
    "waited": waited,
}


def init_app(app: Flask) -> None:
    """Every template words things through this module (one registration, app-wide)."""
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)
