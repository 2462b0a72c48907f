"""Follow my request: the resident's look-up, timeline in plain words, and actions.

A request is found by its tracking code plus the last four digits of its contact phone.
A wrong code and wrong digits give the same answer (None), so the look-up says nothing
about which part was wrong. Every action goes through the workflow state machine.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import HelpRequest, RequestEvent
from app.services import ServiceError, wording, workflow
from app.services.codes import normalise_code

RESIDENT = "resident"


def lookup(code: str, last_four: str) -> HelpRequest | None:
    """The request with this code whose phone ends in these four digits, else None."""
    wanted = normalise_code(code)
    digits = "".join(ch for ch in normalise_code(last_four) if ch.isdigit())  # full width too
    found = None
    if 4 <= len(wanted) <= 12:
        found = db.session.scalars(select(HelpRequest).where(HelpRequest.code == wanted)).first()
    phone_tail = (found.contact_phone or "")[-4:] if found is not None else "----"
    # Compare even when nothing was found, so both failures take the same time.
    matches = hmac.compare_digest(phone_tail.encode(), digits.encode()) and len(digits) == 4
    return found if (found is not None and matches) else None


def by_code(code: str) -> HelpRequest | None:
    return db.session.scalars(
        select(HelpRequest).where(HelpRequest.code == normalise_code(code))
    ).first()


@dataclass(frozen=True)
class Step:
    at: datetime
    text: str
    note: str = ""


def helper_name(request: HelpRequest) -> str:
    """Who is coming, in the words a resident is given: a volunteer's first name only."""
    if request.assigned_volunteer is not None:
        return request.assigned_volunteer.first_name
    if request.assigned_team is not None:
        return request.assigned_team.name
    if request.assigned_worker is not None:
        return request.assigned_worker.first_name
    return ""


def timeline(request: HelpRequest) -> list[Step]:
    """The public events of the request, in plain words, oldest first."""
    name = (
        helper_name(request)
        if request.status in ("assigned", "in_progress", "done", "closed")
        else ""
    )
    steps = []
    for event in request.events:
        if not event.public:
            continue
        text = wording.resident_event_text(event, name)
        if text is None:
            continue
        note = event.note if event.actor_label == RESIDENT and event.action != "created" else ""
        steps.append(Step(at=event.at, text=text, note=note))
    return steps


def can_cancel(request: HelpRequest) -> bool:
    return workflow.can(request, "cancel")


def can_confirm(request: HelpRequest) -> bool:
    return workflow.can(request, "confirm")


def can_rate(request: HelpRequest) -> bool:
    return request.status in ("done", "closed") and request.rating is None


def cancel(request: HelpRequest, *, reason: str = "") -> RequestEvent:
    if not can_cancel(request):
        raise ServiceError(
            _("A helper is already on it, so it cannot be cancelled here. Please call the station.")
        )
    return workflow.transition(request, "cancel", actor_label=RESIDENT, note=reason.strip())


def confirm_done(request: HelpRequest) -> RequestEvent:
    return workflow.transition(request, "confirm", actor_label=RESIDENT)


def not_solved(request: HelpRequest, *, note: str = "") -> RequestEvent:
    return workflow.transition(request, "reopen", actor_label=RESIDENT, note=note.strip())


def rate(request: HelpRequest, *, stars: int, comment: str = "") -> RequestEvent:
    if request.status not in ("done", "closed"):
        raise ServiceError(_("You can rate the help once the work is done."), field="stars")
    if request.rating is not None:
        raise ServiceError(_("You have already rated this help. Thank you."), field="stars")
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ServiceError(_("Please choose from 1 to 5 stars."), field="stars")
    request.rating = stars
    request.rating_comment = (comment or "").strip()[:1000]
    return workflow.record_event(
        request, "rated", actor_label=RESIDENT, note=request.rating_comment, public=True
    )
