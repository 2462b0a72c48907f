"""What a staff member may read of a person: full phones and minors' names only for the
workers of the serving station; everyone else sees 138******** and "王同学".

``where`` is the station a record belongs to, or the help request itself: the county
centre's workers serve a request escalated to the county as well as their own."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

from app.models import HelpRequest, User
from app.services.access import (
    escalated_in_sight,
    is_serving_worker,
    may_act_on_request,
    requests_to_act_on,
)
from app.services.codes import code_text
from app.services.phones import mask_phone
from app.services.wording import phone_display


def serves(user: User, where: int | HelpRequest | None) -> bool:
    if isinstance(where, HelpRequest):
        return may_act_on_request(user, where)
    return is_serving_worker(user, where)


def show_phone(user: User, phone: str | None, where: int | HelpRequest | None) -> str:
    if not phone:
        return ""
    if serves(user, where):
        return phone_display(phone)
    return mask_phone(phone)


def mask_minor_name(name: str) -> str:
    """A minor's name for people outside the serving station: the surname and "同学"."""
    name = (name or "").strip()
    if not name:
        return ""
    if all("\u4e00" <= ch <= "\u9fff" for ch in name):
        return _("%(surname)s (child)", surname=name[0])
    return _("%(surname)s (child)", surname=name.split(" ")[-1][:1] + ".")


def show_person_name(user: User, name: str, where: int | HelpRequest | None, is_minor: bool) -> str:
    if not is_minor or serves(user, where):
        return name or ""
    return mask_minor_name(name)


def time_note_before_claim(request: HelpRequest) -> str:
    """What stands for the resident's time note before a claim (offer SMS, task lists).

    The note is the resident's own free text ("after 3 pm, ask Auntie Wang next door for
    the key"): like the description, only the one who took the task reads it. Before, a
    volunteer learns that the time is agreed after taking it."""
    if (request.wanted_note or "").strip():
        return _("time agreed after you take it")
    return ""


def task_number(request: HelpRequest) -> str:
    """How a volunteer's pages and SMS name a task: its number, never the tracking code.

    The tracking code and the phone's last four digits open the resident's own page
    (cancel, confirm, rate); a volunteer with a claim holds the phone, so the code stays
    with the resident and the station."""
    return f"#{request.id}"


def may_see_tracking_code(user: User, request: HelpRequest) -> bool:
    """Staff who work on ``request``: its station's workers, and the county (supervisor or
    centre worker) while it is escalated to them. Whoever else reads it sees its number."""
    if may_act_on_request(user, request):
        return True
    return _is_supervisor(user) and escalated_in_sight(user, request)


def _is_supervisor(user: User | None) -> bool:
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.has_role("county_supervisor")
    )


def tracking_codes_shown(user: User, requests: Iterable[HelpRequest]) -> list:
    """Those of ``requests`` whose tracking code ``user`` reads (``may_see_tracking_code``
    for a list: the reader's rights worked out once, not once a line)."""
    requests = [r for r in requests if r is not None]
    acted_on = {id(r) for r in requests_to_act_on(user, requests)}
    supervisor = _is_supervisor(user)
    return [
        r for r in requests if id(r) in acted_on or (supervisor and escalated_in_sight(user, r))
    ]


def request_ref(user: User, request: HelpRequest) -> str:
    """How a staff page names a request: the tracking code for those who work on it (the
    resident quotes it on the phone), its number for everyone else."""
    if may_see_tracking_code(user, request):
        return code_text(request.code)
    return task_number(request)


def request_refs(user: User, requests: Iterable[HelpRequest]) -> dict[int, str]:
    """``request_ref`` for each of ``requests`` (a list's lines), by request id."""
    requests = list(requests)
    shown = {id(r) for r in tracking_codes_shown(user, requests)}
    return {r.id: code_text(r.code) if id(r) in shown else task_number(r) for r in requests}


def reader_sees_free_text(request: HelpRequest) -> bool:
    """May staff who only read ``request`` (the county, another station's reader) see its
    free text (description, time note, outcome)? Not for a minor or a sensitive category
    (crisis, emotional support): that stays with those who work on it."""
    from app.models.vocab import SOCIAL_WORKER_ONLY

    return not (request.involves_minor or request.category in SOCIAL_WORKER_ONLY)
