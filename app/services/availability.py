"""Weekly availability windows: reading them from a form, wording them, and a team's.

A window is ``{"day": 0-6 (Monday = 0), "start": "HH:MM", "end": "HH:MM"}`` in local
time (``LOCAL_TIMEZONE``); an end before the start runs past midnight into the next day
(``matching.rules.available`` reads them). Volunteers tick parts of the day at sign-up; a
team's page offers the same grid and an extra time of its own choosing.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Team, User
from app.services import ServiceError, as_id
from app.services.volunteers import DAY_PARTS

DAY_NAMES = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
PART_NAMES = {
    "morning": _l("Morning 8–12"),
    "afternoon": _l("Afternoon 12–18"),
    "evening": _l("Evening 18–21"),
}
MAX_WINDOWS = 50
_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


def parse_time(text: str | None, field: str) -> str:
    """'9:00', '09:00' or '9：00' (a Chinese keyboard's colon) -> '09:00'."""
    match = _TIME.match((text or "").strip())
    if match is None:
        raise ServiceError(_("Write the time as hours:minutes, e.g. 14:00."), field=field)
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def make_window(day: str | int | None, start: str | None, end: str | None) -> dict:
    """One window from a day (0-6) and two times; refused with the field at fault."""
    raw_day = str(day if day is not None else "").strip()
    if as_id(raw_day) is None or int(raw_day) > 6:
        raise ServiceError(_("Choose a day of the week."), field="day")
    begins = parse_time(start, "start")
    ends = parse_time(end, "end")
    if begins == ends:
        raise ServiceError(_("The end time must differ from the start time."), field="end")
    return {"day": int(raw_day), "start": begins, "end": ends}


def slot_code(window: dict) -> str:
    """The checkbox value of a window: '0-morning' for a part of the day, else
    '2-19:00-21:30'."""
    for part, (start, end) in DAY_PARTS.items():
        if (window["start"], window["end"]) == (start, end):
            return f"{window['day']}-{part}"
    return f"{window['day']}-{window['start']}-{window['end']}"


def parse_slot(slot: str) -> dict:
    """The reverse of ``slot_code``; anything else is refused (a tampered form)."""
    day, _sep, rest = str(slot).partition("-")
    try:
        if rest in DAY_PARTS:
            start, end = DAY_PARTS[rest]
            return make_window(day, start, end)
        start, _sep, end = rest.partition("-")
        return make_window(day, start, end)
    except ServiceError:
        raise ServiceError(
            _("This time could not be read: %(slot)s", slot=str(slot)[:20]), field="slots"
        ) from None


def windows_from_form(
    slots: list[str], *, day: str = "", start: str = "", end: str = ""
) -> list[dict]:
    """Ticked slots plus the optional extra time (all three parts, or none), sorted."""
    windows = [parse_slot(slot) for slot in slots]
    if any((value or "").strip() for value in (day, start, end)):
        windows.append(make_window(day, start, end))
    unique = {(w["day"], w["start"], w["end"]): w for w in windows}
    if len(unique) > MAX_WINDOWS:
        raise ServiceError(_("At most %(n)s times a week.", n=MAX_WINDOWS), field="slots")
    return [unique[key] for key in sorted(unique)]


def set_team_availability(
    team: Team,
    actor: User,
    *,
    slots: list[str],
    day: str = "",
    start: str = "",
    end: str = "",
) -> Team:
    """The station admin sets when the team can be offered work. No windows at all: the
    team follows its members' own windows. Bad input changes nothing."""
    team.availability = windows_from_form(slots, day=day, start=start, end=end)
    db.session.flush()
    return team


def describe(window: dict) -> str:
    """'Mon 08:00–12:00' in the reader's language."""
    return f"{DAY_NAMES[int(window['day'])]} {window['start']}–{window['end']}"
