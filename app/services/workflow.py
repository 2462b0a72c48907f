"""The request state machine (DESIGN.md, "A request's life"): the one place that moves a
request from one status to another. Every move is an event on the request's timeline.

Escalation is a flag, not a state: see ``escalate``.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.extensions import db
from app.models import Claim, HelpRequest, Offer, RequestEvent, User
from app.models.base import utcnow
from app.models.vocab import STATUSES
from app.services import ServiceError
from app.services.state_machine import Move, Moved, StateMachine

OPEN_STATUSES = frozenset({"new", "accepted", "offered", "assigned", "in_progress", "done"})
FINAL_STATUSES = frozenset({"closed", "rejected", "cancelled"})


def _move(sources: set[str], target: str, label: object, verb: object) -> Move:
    return Move(sources, target, label, verb)


# action -> allowed sources, the target status, its timeline label and its verb.
MOVES: dict[str, Move] = {
    "accept": _move({"new"}, "accepted", _l("Accepted"), _l("accept it")),
    "reject": _move({"new"}, "rejected", _l("Not accepted"), _l("mark it out of scope")),
    "offer": _move({"accepted", "offered"}, "offered", _l("Offered to volunteers"), _l("offer it")),
    "claim": _move({"offered"}, "assigned", _l("Claimed"), _l("take it on")),
    "assign": _move({"accepted", "offered"}, "assigned", _l("Assigned"), _l("assign it")),
    "release": _move({"assigned"}, "offered", _l("Released"), _l("give it back")),
    "cancel": _move({"new", "accepted", "offered"}, "cancelled", _l("Cancelled"), _l("cancel it")),
    "merge": _move(
        {"new", "accepted", "offered"},
        "cancelled",
        _l("Merged into another request"),
        _l("merge it"),
    ),
    "check_in": _move({"assigned"}, "in_progress", _l("Service started"), _l("start the service")),
    "check_out": _move({"in_progress"}, "done", _l("Service done"), _l("finish the service")),
    "confirm": _move({"done"}, "closed", _l("Confirmed by the resident"), _l("confirm it")),
    "auto_close": _move({"done"}, "closed", _l("Closed automatically"), _l("close it")),
    "close": _move(
        {"done", "in_progress", "assigned"}, "closed", _l("Closed by the station"), _l("close it")
    ),
    "reopen": _move({"done"}, "assigned", _l("Reopened: not solved"), _l("reopen it")),
    # The request moved to another station: the old station's offers are withdrawn and
    # the new station dispatches it afresh (offers.withdraw_open_offers).
    "withdraw_offers": _move(
        {"offered"}, "accepted", _l("Offers withdrawn"), _l("withdraw its offers")
    ),
}

# The timestamp column each target status stamps, for response and completion times.
_STAMPS = {
    "accepted": "accepted_at",
    "assigned": "assigned_at",
    "in_progress": "started_at",
    "done": "done_at",
    "closed": "closed_at",
    "rejected": "closed_at",
    "cancelled": "closed_at",
}


# Moves that undo part of the way: the stamps of the steps that must happen again.
_CLEARS = {
    "release": ("assigned_at", "started_at"),
    "reopen": ("started_at", "done_at"),
}


def _now():
    """The time of a move, read at each move: the demo backdates by patching ``utcnow``."""
    return utcnow()


def _after_move(request: HelpRequest, moved: Moved) -> None:
    """What always follows a move, whoever makes it."""
    if moved.target in FINAL_STATUSES:
        _end_claims_and_offers(request, moved.at)
    if moved.action == "reopen":
        _reactivate_last_claim(request)


REQUEST_MACHINE: StateMachine[HelpRequest] = StateMachine(
    HelpRequest,
    moves=MOVES,
    statuses=STATUSES,
    stamps=_STAMPS,
    clears=_CLEARS,
    on_move=_after_move,
    clock=_now,
    refused=_l("This request is “%(status)s”: you cannot %(action)s now."),
    changed=_l("Someone else changed this request just now. Reload the page and try again."),
)


def can(request: HelpRequest, action: str) -> bool:
    return REQUEST_MACHINE.can(request, action)


def allowed_actions(request: HelpRequest) -> list[str]:
    return REQUEST_MACHINE.allowed_actions(request)


def transition(
    request: HelpRequest,
    action: str,
    *,
    actor: User | None = None,
    actor_label: str = "",
    note: str = "",
    public: bool = True,
    values: dict | None = None,
) -> RequestEvent:
    """Move ``request`` by ``action`` or raise ServiceError, changing nothing.

    ``values`` are other columns set in the same conditional UPDATE as the status (who
    the request is assigned to), so they change only for the caller whose move won
    (``state_machine.StateMachine.move``: of two people acting on one request at the same
    moment, the second is told it changed instead of silently overwriting the first)."""
    moved = REQUEST_MACHINE.move(request, action, values=values)
    return record_event(
        request,
        action,
        actor=actor,
        actor_label=actor_label,
        from_status=moved.source,
        to_status=moved.target,
        note=note,
        public=public,
        at=moved.at,
    )


def _end_claims_and_offers(request: HelpRequest, now) -> None:
    """A closed, cancelled or rejected request holds nobody: its active claim ends (the
    volunteer stops seeing the person's details, and the task stops counting against
    their limit) and its pending offers close."""
    db.session.execute(
        update(Claim)
        .where(Claim.request_id == request.id, Claim.status == "active")
        .values(status="closed", released_at=now)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        update(Offer)
        .where(Offer.request_id == request.id, Offer.status == "pending")
        .values(status="closed", responded_at=now)
        .execution_options(synchronize_session="fetch")
    )


def _reactivate_last_claim(request: HelpRequest) -> None:
    """'Not solved': the work goes back to whoever did it, to check in again."""
    last = db.session.scalars(
        select(Claim)
        .where(Claim.request_id == request.id, Claim.status == "done")
        .order_by(Claim.id.desc())
        .limit(1)
    ).first()
    if last is not None:
        last.status = "active"
        last.checked_in_at = None
        last.checked_out_at = None


def record_event(request: HelpRequest, action: str, **columns) -> RequestEvent:
    """Add a line to the timeline that does not change the status (notes, escalation).
    ``columns``: ``event_columns``'s keywords (actor, actor_label, statuses, note, ...)."""
    event = RequestEvent(request=request, **event_columns(action, **columns))
    db.session.add(event)
    return event


def event_columns(
    action: str,
    *,
    actor: User | None = None,
    actor_label: str = "",
    from_status: str | None = None,
    to_status: str | None = None,
    note: str = "",
    public: bool = True,
    at=None,
) -> dict[str, object]:
    """The columns of ``record_event``'s line but its request: for a writer that inserts
    the row itself (intake_rows, a new request's "created" line)."""
    return dict(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or ("staff" if actor is not None else "system"),
        from_status=from_status,
        to_status=to_status,
        note=note,
        public=public,
        at=at or utcnow(),
    )


def escalate(request: HelpRequest, *, actor: User | None = None, note: str = "") -> RequestEvent:
    """Escalation is a flag on an open request, recorded on the timeline."""
    if request.status not in OPEN_STATUSES:
        raise ServiceError(_("Only an open request can be escalated."))
    if request.escalated:
        raise ServiceError(_("This request is already escalated."))
    request.escalated = True
    request.escalated_at = utcnow()
    return record_event(request, "escalate", actor=actor, note=note, public=False)
