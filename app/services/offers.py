"""Offering a request to the best candidates by SMS, rounds on expiry, then escalation.

Policy:
* A round offers the request to the top ``OFFER_BATCH_SIZE`` candidates not offered before
  (an Offer row per volunteer or team, with a reply code and an expiry:
  ``OFFER_TTL_MINUTES``, or ``OFFER_TTL_URGENT_MINUTES`` for urgent and crisis requests).
  An offer is an SMS: a person is offered once per round (a volunteer who leads a team is
  one person, and one holding an open offer is not asked again), and a number that opted
  out takes no place (its volunteer still sees the task in the web feed). The round's
  count on the timeline is the number of people texted.
* Round n looks ``ROUND_FACTOR(n)`` = 1.0, 1.5, 2.0 … times as far as round 1.
* When a round's offers have all expired or been declined, the next round starts; after
  ``OFFER_MAX_ROUNDS`` (or when nobody at all fits) the request is escalated and the
  station's social workers get an SMS. Categories only social workers may take are never
  offered: the workers are alerted at once.
* The SMS names the category, the village, the time and the distance, never the person.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    Claim,
    HelpRequest,
    Offer,
    OutboxMessage,
    Station,
    Team,
    User,
)
from app.models.base import utcnow
from app.models.vocab import SOCIAL_WORKER_ONLY
from app.services import ServiceError, links, matching, privacy, staff, wording, workflow
from app.services.codes import code_text, new_reply_code
from app.services.notifications import delivery, queue_sms
from app.services.notifications.limits import URGENT_LEVELS, quiet_hours_end
from app.services.state_machine import Move, StateMachine

OPEN_OFFER = "pending"

# An offer is answered once: the first answer (or expiry, or withdrawal) wins.
OFFER_MACHINE: StateMachine[Offer] = StateMachine(
    Offer,
    statuses={
        OPEN_OFFER: _l("Offer waiting for an answer"),
        "accepted": _l("Offer taken"),
        "declined": _l("Offer declined"),
        "expired": _l("Offer expired"),
        "closed": _l("Offer closed"),
        "withdrawn": _l("Offer withdrawn"),
    },
    moves={
        "accept": Move({OPEN_OFFER}, "accepted", _l("Offer taken")),
        "decline": Move({OPEN_OFFER}, "declined", _l("Offer declined")),
        "expire": Move({OPEN_OFFER}, "expired", _l("Offer expired")),
        "close": Move({OPEN_OFFER}, "closed", _l("Offer closed")),
        "withdraw": Move({OPEN_OFFER}, "withdrawn", _l("Offer withdrawn")),
    },
    stamps={target: "responded_at" for target in ("accepted", "declined", "closed", "withdrawn")},
    changed=_l("Someone else changed this offer just now. Reload the page and try again."),
)


def round_factor(round_number: int) -> float:
    return 1.0 + 0.5 * max(round_number - 1, 0)


def send_offers(request: HelpRequest, *, actor: User | None = None) -> list[Offer]:
    """Start the next offer round for an accepted (or offered) request.

    Returns the new offers; none when nobody fits, in which case the request is escalated
    and the station's social workers are alerted (the status stays as it was).
    """
    if not workflow.can(request, "offer"):
        # Lets the state machine word the refusal.
        workflow.transition(request, "offer", actor=actor)
    if request.category in SOCIAL_WORKER_ONLY:
        _escalate(request, "offer_social_worker_only", actor=actor)
        return []
    offers: list[Offer] = []
    opted_out = 0
    round_number = request.offer_round
    while not offers and round_number < max(_max_rounds(), request.offer_round + 1):
        round_number += 1
        offers, opted_out = _offer_round(request, round_number)
    if not offers:
        _escalate(request, "offer_unmatched", actor=actor)
        return []
    request.offer_round = round_number
    # The count is of people texted: one offer per person, none to opted-out numbers.
    note = _("Round %(round)s: offered to %(n)s", round=round_number, n=len(offers))
    if opted_out:
        note += " " + _("%(n)s opted out of SMS and see it on the web only.", n=opted_out)
    workflow.transition(
        request,
        "offer",
        actor=actor,
        actor_label="" if actor is not None else "system",
        note=note,
    )
    for offer in offers:
        _queue_offer_sms(request, offer)
    return offers


def requests_with_expired_offers() -> list[int]:
    """For the expiry job: requests with an open offer past its expiry, then requests left
    'offered' with no open offer (declines racing each other or the expiry: nothing else
    would ever move them on)."""
    expired = db.session.scalars(
        select(Offer.request_id)
        .where(Offer.status == OPEN_OFFER, Offer.expires_at <= utcnow())
        .distinct()
        .order_by(Offer.request_id)
    ).all()
    open_offer = (
        select(Offer.id)
        .where(Offer.request_id == HelpRequest.id, Offer.status == OPEN_OFFER)
        .exists()
    )
    stuck = db.session.scalars(
        select(HelpRequest.id)
        .where(
            HelpRequest.status == "offered",
            HelpRequest.escalated.is_(False),
            ~open_offer,
        )
        .order_by(HelpRequest.id)
        .limit(200)
    ).all()
    return list(dict.fromkeys([*expired, *stuck]))


def expire_offers_of(request: HelpRequest) -> int:
    """Expire the request's open offers that are past their expiry, then start its next
    round (or escalate) if none is open any more. Returns the number of offers expired."""
    expired = db.session.scalars(
        select(Offer).where(
            Offer.request_id == request.id,
            Offer.status == OPEN_OFFER,
            Offer.expires_at <= utcnow(),
        )
    ).all()
    # Each one first-wins: an offer accepted or declined at this moment keeps its answer.
    gone = sum(OFFER_MACHINE.try_move(offer, "expire") is not None for offer in expired)
    # Read the request again: a volunteer may have taken it since this unit loaded it, and
    # a taken request must not be offered again or escalated as unmatched.
    db.session.refresh(request, ["status", "escalated", "offer_round"])
    next_round_if_due(request)
    return gone


def next_round_if_due(request: HelpRequest) -> list[Offer]:
    """When no offer of an offered request is still open, start the next round or, after
    the last one, escalate and alert the workers."""
    if request.status != "offered" or pending_offers(request):
        return []
    if request.offer_round >= _max_rounds():
        if not request.escalated:
            _escalate(request, "offer_unmatched")
        return []
    return send_offers(request)


def pending_offers(request: HelpRequest) -> list[Offer]:
    return list(
        db.session.scalars(
            select(Offer).where(Offer.request_id == request.id, Offer.status == OPEN_OFFER)
        )
    )


def close_open_offers(request: HelpRequest, *, except_offer_id: int | None = None) -> None:
    """The request was taken: the other open offers close."""
    query = update(Offer).where(Offer.request_id == request.id, Offer.status == OPEN_OFFER)
    if except_offer_id is not None:
        query = query.where(Offer.id != except_offer_id)
    db.session.execute(query.values(status="closed", responded_at=utcnow()))


def requests_to_auto_offer() -> list[int]:
    """For the auto-offer job: normal new requests at stations with auto-offer, oldest
    first. Categories only social workers may take stay new, for a worker to read first."""
    return list(
        db.session.scalars(
            select(HelpRequest.id)
            .join(Station, Station.id == HelpRequest.station_id)
            .where(
                HelpRequest.status == "new",
                HelpRequest.urgency == "normal",
                Station.auto_offer.is_(True),
                HelpRequest.category.not_in(SOCIAL_WORKER_ONLY),
            )
            .order_by(HelpRequest.created_at)
            .limit(100)
        )
    )


def auto_offer(request: HelpRequest) -> bool:
    """The system accepts a new request and offers it; False if it is no longer new."""
    if request.status != "new":
        return False
    workflow.transition(request, "accept", actor_label="system")
    send_offers(request)
    return True


# --- internals -------------------------------------------------------------------------


def _max_rounds() -> int:
    return int(current_app.config.get("OFFER_MAX_ROUNDS", 3))


def _offer_round(request: HelpRequest, round_number: int) -> tuple[list[Offer], int]:
    """Offers for the best candidates not asked before, one per person; returns them and
    how many of the best were left out because they opted out of SMS."""
    batch = int(current_app.config.get("OFFER_BATCH_SIZE", 3))
    already = db.session.execute(
        select(Offer.volunteer_id, Offer.team_id).where(Offer.request_id == request.id)
    ).all()
    offered = {("team", t) if t is not None else ("volunteer", v) for v, t in already}
    # Who took it before and gave it back is not asked again.
    before = db.session.execute(
        select(Claim.volunteer_id, Claim.team_id).where(Claim.request_id == request.id)
    ).all()
    offered |= {("team", t) if t is not None else ("volunteer", v) for v, t in before}
    limit = batch + len(offered)
    while True:
        candidates = matching.find_candidates(
            request, limit=limit, radius_factor=round_factor(round_number)
        )
        fresh, opted_out = _reachable(candidates, offered, _open_offer_holders(request), batch)
        if len(fresh) >= batch or len(candidates) < limit:
            break
        limit *= 2  # opt-outs and people met twice took places: look further down the list
    minutes = current_app.config.get(
        "OFFER_TTL_URGENT_MINUTES"
        if request.urgency in ("urgent", "crisis")
        else "OFFER_TTL_MINUTES",
        60,
    )
    now = utcnow()
    starts = now
    if request.urgency not in URGENT_LEVELS:
        # Held overnight by the quiet hours: the offer's time runs from when it is sent.
        starts = quiet_hours_end(now) or now
    offers = []
    for rank, (candidate, recipient) in enumerate(fresh, start=1):
        offer = Offer(
            request_id=request.id,
            volunteer_id=candidate.user.id if candidate.kind == "volunteer" else None,
            team_id=candidate.team.id if candidate.kind == "team" else None,
            round=round_number,
            rank=rank,
            score=candidate.score,
            distance_km=candidate.distance_km,
            reasons=list(candidate.reasons),
            reply_code=_free_reply_code(recipient.id),
            status=OPEN_OFFER,
            created_at=now,
            expires_at=starts + timedelta(minutes=int(minutes)),
        )
        db.session.add(offer)
        db.session.flush()
        offers.append(offer)
    return offers, opted_out


def _reachable(
    candidates: list, offered: set, holders: set[int], batch: int
) -> tuple[list[tuple[matching.Candidate, User]], int]:
    """The best ``batch`` candidates not offered before whose person (the volunteer, or a
    team's leader) can be texted: one offer per person, none for a person who already holds
    an open offer for this request, none for a number that opted out (those still see the
    task in their web feed). Also returns how many opted-out people were passed over."""
    people = [
        (c, c.user if c.kind == "volunteer" else c.team.leader)
        for c in candidates
        if c.key not in offered
    ]
    phones = {p.phone for _c, p in people if p is not None and p.phone}
    stopped = delivery.opted_out(phones)
    picked: list[tuple[matching.Candidate, User]] = []
    seen, opted_out = set(holders), set()
    for candidate, person in people:
        if person is None or not person.phone or person.id in seen:
            continue
        seen.add(person.id)
        if person.phone in stopped:
            opted_out.add(person.id)
            continue
        picked.append((candidate, person))
        if len(picked) == batch:
            break
    return picked, len(opted_out)


def _open_offer_holders(request: HelpRequest) -> set[int]:
    """People holding an open offer for ``request``, as themselves or as a team's leader."""
    rows = db.session.execute(
        select(Offer.volunteer_id, Team.leader_id)
        .outerjoin(Team, Team.id == Offer.team_id)
        .where(Offer.request_id == request.id, Offer.status == OPEN_OFFER)
    ).all()
    return {volunteer_id or leader_id for volunteer_id, leader_id in rows} - {None}


def _free_reply_code(user_id: int) -> str:
    """A reply code not used by any open offer this person can answer (own or team's)."""
    used = set(
        db.session.scalars(
            select(Offer.reply_code).where(
                Offer.status == OPEN_OFFER,
                (Offer.volunteer_id == user_id)
                | Offer.team_id.in_(select(Team.id).where(Team.leader_id == user_id)),
            )
        )
    )
    for _attempt in range(50):
        code = new_reply_code()
        if code not in used:
            return code
    raise ServiceError(_("Could not make a reply code. Please try again."))


def offer_recipient(offer: Offer) -> User | None:
    if offer.volunteer_id is not None:
        return offer.volunteer
    return offer.team.leader if offer.team is not None else None


def _queue_offer_sms(request: HelpRequest, offer: Offer) -> None:
    recipient = offer_recipient(offer)
    if recipient is None or not recipient.phone:
        return
    language = recipient.language or "zh"
    with force_locale(language):
        values = {
            "category": wording.category_label(request.category),
            "village": wording.place_label(request),
            "time": wording.wanted_time_text(
                request.wanted_at, privacy.time_note_before_claim(request)
            ),
            "distance": matching.distance_words(offer.distance_km or 0.0),
            "until": wording.until_text(offer.expires_at, language),
        }
    queue_sms(
        recipient.phone,
        "volunteer_offer",
        language=language,
        request_id=request.id,
        user_id=recipient.id,
        link=links.offer_link(offer.id),
        code=offer.reply_code,
        **values,
    )


def _escalate(request: HelpRequest, template: str, *, actor: User | None = None) -> None:
    """Flag the request and text the station's social workers (once: not when it already
    was escalated)."""
    if request.escalated or request.status not in workflow.OPEN_STATUSES:
        return
    note = (
        _("Only social workers may take this category; not offered to volunteers.")
        if template == "offer_social_worker_only"
        else _("No volunteer took it: the station must arrange help.")
    )
    workflow.escalate(request, actor=actor, note=note)
    staff.notify_staff(
        request.station_id,
        template,
        roles=("social_worker",),  # what no volunteer may take needs a social worker
        request_id=request.id,
        crisis=request.urgency == "crisis",
        code=code_text(request.code),
        category=partial(wording.category_label, request.category),  # in each reader's language
        village=wording.place_label(request),
        link=links.console_request_link(request.id),
    )


# --- withdrawing offers when a request moves (issue 13, item 17) -------------------------

WITHDRAWN_OFFER = "withdrawn"


def withdraw_open_offers(help_request: HelpRequest, *, by: User | None, reason: str) -> int:
    """Withdraw every open offer of ``help_request``: it is no longer theirs to take.

    Each pending offer turns 'withdrawn' by a conditional update (an offer accepted or
    declined at the same moment keeps its answer). Whoever already had the offer by SMS
    is told it is withdrawn; an offer SMS still waiting in the outbox (quiet hours, the
    hourly cap) is held back instead, and that person gets no SMS at all. An 'offered'
    request goes back to 'accepted' with its rounds counted afresh, so nothing re-offers
    it behind the next worker's back; the timeline says who withdrew how many, and why.
    Returns the number of offers withdrawn.
    """
    withdrawn = [
        offer
        for offer in pending_offers(help_request)
        if OFFER_MACHINE.try_move(offer, "withdraw") is not None
    ]
    note = _("%(n)s open offer(s) withdrawn: %(reason)s", n=len(withdrawn), reason=reason)
    if help_request.status == "offered":
        workflow.transition(
            help_request,
            "withdraw_offers",
            actor=by,
            actor_label="" if by is not None else "system",
            note=note,
            public=False,
            values={"offer_round": 0},
        )
    elif withdrawn:
        workflow.record_event(help_request, "withdraw_offers", actor=by, note=note, public=False)
    held_back = _hold_back_offer_sms(help_request, withdrawn)
    for offer in withdrawn:
        recipient = offer_recipient(offer)
        if recipient is not None and recipient.id not in held_back:
            _queue_withdrawn_sms(help_request, offer, recipient)
    return len(withdrawn)


def apply_station_rules(help_request: HelpRequest, *, by: User | None) -> list[Offer]:
    """After a move: what the new station does with a request it did not accept itself.

    A station that offers on its own (``auto_offer``) offers a normal accepted request
    at once, as its job would have done with a new one; any other station finds it in
    its "To dispatch" list. New requests wait for the station's job or workers as usual.
    """
    station = help_request.station
    if (
        station is None
        or not station.auto_offer
        or help_request.status != "accepted"
        or help_request.urgency != "normal"
        or help_request.category in SOCIAL_WORKER_ONLY
    ):
        return []
    return send_offers(help_request, actor=by)


def _hold_back_offer_sms(help_request: HelpRequest, withdrawn: list[Offer]) -> set[int]:
    """Offer SMS not yet sent for these offers are not sent; returns whose were held."""
    recipients = {r.id for r in map(offer_recipient, withdrawn) if r is not None}
    if not recipients:
        return set()
    waiting = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.user_id).where(
            OutboxMessage.template == "volunteer_offer",
            OutboxMessage.request_id == help_request.id,
            OutboxMessage.user_id.in_(recipients),
            OutboxMessage.status == "pending",
        )
    ).all()
    held: set[int] = set()
    for message_id, user_id in waiting:
        stopped = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .values(
                status="suppressed",
                hold_reason="",
                last_error="not sent: the offer was withdrawn (the request moved)",
            )
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if stopped == 1:
            held.add(user_id)
    return held


def _queue_withdrawn_sms(help_request: HelpRequest, offer: Offer, recipient: User) -> None:
    language = recipient.language or "zh"
    with force_locale(language):
        category = wording.category_label(help_request.category)
    queue_sms(
        recipient.phone,
        "offer_withdrawn",
        language=language,
        request_id=help_request.id,
        user_id=recipient.id,
        code=offer.reply_code,
        category=category,
        village=wording.place_label(help_request),
    )
