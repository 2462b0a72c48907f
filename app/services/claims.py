"""Taking a request on: first-wins claims, direct assignment, release, check-in/out, teams.

The race: many volunteers may answer one offer at the same moment. Each claim runs one
conditional ``UPDATE help_request SET status = 'assigned' … WHERE id = :id AND status IN
(the sources the state machine allows for the move)``; only the statement that still finds
the old status changes the row (``rowcount == 1``), on PostgreSQL (row lock, re-check
after the winner commits) and on SQLite (one writer at a time) alike. The losers change
nothing and get a friendly refusal. The timeline event is written for the winner only,
with the move the state machine allows (``workflow.MOVES``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import Claim, HelpRequest, Offer, ServiceRecord, Team, TeamMember, User
from app.models.base import utcnow
from app.services import (
    ServiceError,
    counting,
    links,
    matching,
    offers,
    volunteers,
    wording,
    workflow,
)
from app.services.codes import normalise_code
from app.services.notifications import queue_sms, queue_to_resident

MAX_HOURS = Decimal("24")


def taken_message() -> str:
    return _("Sorry, someone else has just taken this task. Thank you for offering to help!")


# --- claiming ---------------------------------------------------------------------------


def claim(
    request: HelpRequest,
    *,
    volunteer: User | None = None,
    team: Team | None = None,
    via: str = "web",
) -> Claim:
    """``volunteer`` takes the request on (or ``team``, claimed by its leader)."""
    if (volunteer is None) == (team is None):
        raise ServiceError(_("Choose who takes the task on."))
    if team is not None:
        problem = matching.team_eligibility_problem(request, team)
        if problem is None and team_open_claims(team.id) >= team.open_task_limit:
            problem = _("Your team already has %(n)s open tasks.", n=team.open_task_limit)
    else:
        problem = matching.eligibility_problem(request, volunteer)
        if problem is None:
            limit = volunteer.volunteer.open_task_limit
            if matching.open_claims_count(volunteer.id) >= limit:
                problem = _("You already have %(n)s open tasks: finish one first.", n=limit)
    if problem:
        raise ServiceError(problem)
    if not workflow.can(request, "claim"):
        raise ServiceError(taken_message())
    who = volunteer if volunteer is not None else team.leader
    values = {
        "assigned_volunteer_id": volunteer.id if volunteer is not None else None,
        "assigned_team_id": team.id if team is not None else None,
        "assigned_worker_id": None,
    }
    if not _take(
        request, "claim", actor=who, actor_label="sms" if via == "sms" else "volunteer", **values
    ):
        raise ServiceError(taken_message())
    record = Claim(
        request_id=request.id,
        volunteer_id=who.id if who is not None else None,
        team_id=team.id if team is not None else None,
        via=via,
        status="active",
    )
    db.session.add(record)
    _settle_offers(request, volunteer=volunteer, team=team)
    _tell_resident_claimed(request, volunteer.first_name if volunteer else team.name)
    db.session.flush()
    return record


def claim_for(
    request: HelpRequest, *, by: User, for_team: bool = False, open_to_them: bool = True
) -> Claim:
    """The nearby tasks' "I will do it": ``by`` takes the request, or, ``for_team``, the
    team ``by`` leads does (``by`` alone when they lead none). ``open_to_them`` is whether
    the task is still on their list (``volunteers.task_view``); one that has left it is
    refused before anything changes."""
    team = volunteers.led_team(by) if for_team else None
    if not open_to_them:
        raise ServiceError(_("This task is not open for you any more."))
    if team is not None:
        return claim(request, team=team)
    return claim(request, volunteer=by)


def accept_offer(offer: Offer, *, user: User, via: str = "web") -> Claim:
    """The offer's volunteer (or its team's leader) says yes."""
    _check_offer_holder(offer, user)
    _check_offer_open(offer)
    return claim(
        offer.request,
        volunteer=user if offer.volunteer_id is not None else None,
        team=offer.team if offer.team_id is not None else None,
        via=via,
    )


def decline_offer(offer: Offer, *, user: User) -> Offer:
    _check_offer_holder(offer, user)
    _check_offer_open(offer)
    offer.status = "declined"
    offer.responded_at = utcnow()
    db.session.flush()
    offers.next_round_if_due(offer.request)
    return offer


def accept_offer_by_code(phone_e164: str, code: str) -> HelpRequest:
    """SMS 'Y <code>': same race rules as the web page."""
    user, offer = _offer_by_code(phone_e164, code)
    accept_offer(offer, user=user, via="sms")
    return offer.request


def decline_offer_by_code(phone_e164: str, code: str) -> Offer:
    user, offer = _offer_by_code(phone_e164, code)
    return decline_offer(offer, user=user)


def assign(
    request: HelpRequest,
    *,
    actor: User,
    volunteer: User | None = None,
    team: Team | None = None,
    worker: User | None = None,
    note: str = "",
) -> Claim:
    """A social worker gives the request to a volunteer, a team, or a worker (themselves)."""
    if sum(x is not None for x in (volunteer, team, worker)) != 1:
        raise ServiceError(_("Choose one volunteer, team or worker."))
    if volunteer is not None:
        problem = matching.eligibility_problem(request, volunteer, check_skills=False)
    elif team is not None:
        problem = matching.team_eligibility_problem(request, team, check_skills=False)
    else:
        problem = None if worker.is_staff else _("Only a staff member can be assigned as worker.")
    if problem:
        raise ServiceError(problem)
    if not workflow.can(request, "assign"):
        workflow.transition(request, "assign", actor=actor)  # raises with the plain reason
    values = {
        "assigned_volunteer_id": volunteer.id if volunteer is not None else None,
        "assigned_team_id": team.id if team is not None else None,
        "assigned_worker_id": worker.id if worker is not None else None,
    }
    if not _take(request, "assign", actor=actor, note=note, **values):
        raise ServiceError(taken_message())
    record = Claim(
        request_id=request.id,
        volunteer_id=volunteer.id if volunteer is not None else (team.leader_id if team else None),
        team_id=team.id if team is not None else None,
        worker_id=worker.id if worker is not None else None,
        via="assign",
        status="active",
    )
    db.session.add(record)
    db.session.flush()
    _settle_offers(request, volunteer=volunteer, team=team)
    target = volunteer if volunteer is not None else (team.leader if team is not None else None)
    if target is not None:
        _tell_volunteer(record, target, "task_assigned")
        _tell_resident_claimed(request, volunteer.first_name if volunteer else team.name)
    return record


# --- after the claim ----------------------------------------------------------------------


def release(claim: Claim, *, actor: User, reason: str) -> Claim:
    """Give the task back with a reason: the request is offered again."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Please say why you give the task back."), field="reason")
    if not (is_claimer(claim, actor) or actor.is_staff):
        raise ServiceError(
            _("Only the volunteer or team leader who took the task can give it back.")
        )
    if claim.status != "active":
        raise ServiceError(_("This task is no longer yours."))
    request = claim.request
    workflow.transition(request, "release", actor=actor, note=reason, public=False)
    request.assigned_volunteer_id = None
    request.assigned_team_id = None
    request.assigned_worker_id = None
    claim.status = "released"
    claim.released_at = utcnow()
    claim.release_reason = reason
    db.session.flush()
    offers.send_offers(request)
    return claim


def check_in(
    claim: Claim, *, actor: User, lat: float | None = None, lon: float | None = None
) -> Claim:
    _check_doer(claim, actor)
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        lat = lon = None
    workflow.transition(claim.request, "check_in", actor=actor, actor_label=_doer_label(claim))
    claim.checked_in_at = utcnow()
    claim.checkin_lat, claim.checkin_lon = lat, lon
    db.session.flush()
    return claim


def check_out(
    claim: Claim, *, actor: User, outcome: str, hours, welfare_note: str = ""
) -> ServiceRecord:
    """The work is done: a service record counts the person-time and the hours."""
    _check_doer(claim, actor)
    outcome = (outcome or "").strip()
    if not outcome:
        raise ServiceError(_("Please write what was done."), field="outcome")
    hours = parse_hours(hours)
    request = claim.request
    if request.status == "assigned":  # came straight to check-out: start it first
        check_in(claim, actor=actor)
    workflow.transition(
        request, "check_out", actor=actor, actor_label=_doer_label(claim), note=outcome
    )
    now = utcnow()
    claim.status = "done"
    claim.checked_out_at = now
    request.outcome = outcome
    record = counting.for_checkout(
        claim, hours=hours, outcome=outcome, welfare_note=(welfare_note or "").strip(), ended_at=now
    )
    queue_to_resident(request, "request_done_confirm")
    db.session.flush()
    return record


def dispatch(claim: Claim, *, actor: User, member: User | None) -> Claim:
    """A team leader gives the team's task to one member (None: nobody was chosen)."""
    if member is None:
        raise ServiceError(_("Choose a team member."), field="member")
    team = claim.team
    if team is None or team.leader_id != actor.id:
        raise ServiceError(_("Only the team leader can hand out this task."))
    problem = doer_problem(claim, actor)
    if problem:
        raise ServiceError(problem)
    if claim.status != "active" or claim.request.status != "assigned":
        raise ServiceError(_("This task can no longer be handed out."))
    is_member = db.session.get(TeamMember, (team.id, member.id)) is not None
    if not is_member:
        raise ServiceError(_("This person is not in your team."), field="member")
    problem = matching.eligibility_problem(claim.request, member, check_skills=False)
    if problem:
        raise ServiceError(problem, field="member")
    claim.dispatched_to_id = member.id
    claim.request.assigned_volunteer_id = member.id
    workflow.record_event(
        claim.request,
        "dispatch",
        actor=actor,
        actor_label="team_leader",
        note=_("Given to team member %(name)s", name=member.name),
        public=False,
    )
    db.session.flush()
    if member.id != actor.id:
        _tell_volunteer(claim, member, "task_dispatched")
    return claim


# --- who may do what ------------------------------------------------------------------------


def is_claimer(claim: Claim, user: User) -> bool:
    """The volunteer who claimed, or the leader of the team that claimed."""
    if claim.team_id is not None:
        return claim.team is not None and claim.team.leader_id == user.id
    return claim.volunteer_id == user.id


def is_doer(claim: Claim, user: User) -> bool:
    """Who goes: the social worker it was assigned to, the member it was given to, else
    the claimer."""
    if claim.worker_id is not None and claim.worker_id == user.id:
        return True
    if claim.dispatched_to_id is not None:
        return claim.dispatched_to_id == user.id or is_claimer(claim, user)
    return is_claimer(claim, user)


def doer_problem(claim: Claim, user: User) -> str | None:
    """Why ``user``, one of the claim's doers, may not act on it now (translated), or None.

    A suspended (or inactive, or not approved) volunteer or team leader cannot start,
    finish or hand out work; a member the team gave the task to must still be in the team,
    and the team still active. Giving the task back stays allowed (``release``): that is
    how the station gets it to offer again. A member given the task before their leader
    was suspended, themselves approved, may still do it."""
    if not is_doer(claim, user):
        return _("Only the volunteer doing this task can record it.")
    if claim.worker_id is not None and claim.worker_id == user.id:
        return None if user.active else _("Your volunteer account is not approved yet.")
    profile = user.volunteer
    if profile is not None and profile.status == "suspended":
        return _("Your volunteer account is suspended: you cannot take tasks for now.")
    if profile is None or profile.status != "approved" or not user.active:
        return _("Your volunteer account is not approved yet.")
    if claim.team_id is not None and not is_claimer(claim, user):
        team = claim.team
        still_in = team is not None and db.session.get(TeamMember, (team.id, user.id))
        if team is None or not team.active or still_in is None:
            return _("You are no longer in the team that gave you this task.")
    elif claim.team_id is not None and not claim.team.active:
        return _("This team is not active.")
    return None


def can_see_details(claim: Claim, user: User) -> bool:
    """The doer sees the person's name, phone and address while their access stands: from
    the claim until the request ends (closed, cancelled, rejected). A done request waiting
    for the resident's confirmation still shows them; the service record keeps only what
    the hours page and the certificate need. A suspended volunteer, or a member no longer
    in the team that gave them the task, no longer sees them (``doer_problem``)."""
    if claim.status not in ("active", "done") or not user.active:
        return False
    if claim.request.status in workflow.FINAL_STATUSES:
        return False
    return doer_problem(claim, user) is None


def team_open_claims(team_id: int) -> int:
    return db.session.scalar(
        select(func.count(Claim.id)).where(Claim.team_id == team_id, Claim.status == "active")
    )


def parse_hours(raw) -> Decimal:
    try:
        hours = Decimal(str(raw).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ServiceError(
            _("Please enter the hours as a number, e.g. 1.5."), field="hours"
        ) from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS:
        raise ServiceError(_("Hours must be more than 0 and at most 24."), field="hours")
    return hours


# --- internals ----------------------------------------------------------------------------


def _take(
    request: HelpRequest,
    action: str,
    *,
    actor: User | None,
    actor_label: str = "",
    note: str = "",
    **values,
) -> bool:
    """The state machine's conditional update: True for the one caller that moved it."""
    try:
        workflow.transition(
            request, action, actor=actor, actor_label=actor_label, note=note, values=values
        )
    except ServiceError:
        return False
    return True


def _settle_offers(request: HelpRequest, *, volunteer: User | None, team: Team | None) -> None:
    query = select(Offer).where(Offer.request_id == request.id, Offer.status == "pending")
    mine = None
    for offer in db.session.scalars(query):
        if (volunteer is not None and offer.volunteer_id == volunteer.id) or (
            team is not None and offer.team_id == team.id
        ):
            mine = offer
    if mine is not None:
        mine.status = "accepted"
        mine.responded_at = utcnow()
    offers.close_open_offers(request, except_offer_id=mine.id if mine else None)


def _offer_by_code(phone_e164: str, code: str) -> tuple[User, Offer]:
    code = normalise_code(code)
    user = db.session.scalars(select(User).where(User.phone == phone_e164)).first()
    if user is None or not code:
        raise ServiceError(_("We could not find an offer with this code for your number."))
    led = select(Team.id).where(Team.leader_id == user.id)
    found = db.session.scalars(
        select(Offer)
        .where(
            Offer.reply_code == code,
            (Offer.volunteer_id == user.id) | Offer.team_id.in_(led),
        )
        .order_by(Offer.status != "pending", Offer.id.desc())
    ).all()
    if not found:
        raise ServiceError(_("We could not find an offer with this code for your number."))
    return user, found[0]


def _doer_label(claim: Claim) -> str:
    """Who starts and finishes the work, on the timeline: the station's worker or a volunteer."""
    return "staff" if claim.worker_id is not None else "volunteer"


def _check_doer(claim: Claim, user: User) -> None:
    if claim.status != "active":
        raise ServiceError(_("This task is no longer open for you."))
    problem = doer_problem(claim, user)
    if problem:
        raise ServiceError(problem)


def _check_offer_holder(offer: Offer, user: User) -> None:
    holder = offers.offer_recipient(offer)
    if holder is None or holder.id != user.id:
        raise ServiceError(_("This offer was sent to someone else."))


def _check_offer_open(offer: Offer) -> None:
    if offer.status == "pending" and offer.expires_at <= utcnow():
        raise ServiceError(_("This offer has expired. Look at the nearby tasks for others."))
    messages = {
        "expired": _("This offer has expired. Look at the nearby tasks for others."),
        "closed": taken_message(),
        "declined": _("You said no to this offer."),
        "accepted": _("You have already taken this task."),
        "withdrawn": _("This offer was withdrawn: the task is no longer yours to take."),
    }
    if offer.status != "pending":
        raise ServiceError(messages.get(offer.status, taken_message()))


def _tell_volunteer(claim: Claim, user: User, template: str) -> None:
    request = claim.request
    language = user.language or "zh"
    with force_locale(language):
        category = wording.category_label(request.category)
        when = wording.wanted_time_text(request.wanted_at, request.wanted_note)
    queue_sms(
        user.phone,
        template,
        language=language,
        request_id=request.id,
        user_id=user.id,
        category=category,
        village=wording.place_label(request),
        time=when,
        link=links.claim_link(claim.id),
    )


def _tell_resident_claimed(request: HelpRequest, name: str) -> None:
    queue_to_resident(request, "request_claimed", name=name)
