"""One counting rule (README, "How a month is counted"): every kind of service writes
exactly one ServiceRecord, here, and nowhere else.

- 服务人次 (person-times): one for each person served by one act of service. A check-out,
  a worker's check-out, a home visit, a welfare call that reached the person or their
  family, and a request the station closed with work done each count one.
- A community activity (issue 18) is counted when it is closed, once (closing is a move of
  its first-wins machine: a second close is refused and writes nothing). Each person of
  the ledger it served counts one person-time (a record with their beneficiary_id and
  groups); the head count of the others counts as many person-times in one record (no
  beneficiary, no special group: nobody knows whose they are). Each volunteer checked in
  gets one record of their hours (the activity's duration, or what the worker wrote at
  close) and 0 person-times: the volunteers give the service, the residents receive it,
  and a person-time is one person served. Those records show on the volunteer's hours
  page and certificate. Every record's category is the one of its kind
  (vocab.ACTIVITY_CATEGORY); the kind itself is on the activity (activity_stats.py).
- Service hours: the time the doer gave, as they (or the station) recorded it: the hours
  typed at check-out or close, a visit's or call's minutes, an activity's duration for
  each volunteer checked in. Travel is not counted apart.

A record carries its source, station, village, beneficiary (when known), category,
special groups, hours and person-times; the dashboards and exports count those rows
(app/services/stats.py) and nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Beneficiary, CallLog, Claim, HelpRequest, ServiceRecord, User, Visit
from app.models.base import utcnow
from app.models.vocab import ACTIVITY_CATEGORY, CALLS_SERVED, CATEGORIES

# What a record counts under, beside the request categories: the ledger's own work.
RECORD_CATEGORIES: dict[str, object] = {
    **CATEGORIES,
    "home_visit": _l("Home visit"),
    "welfare_call": _l("Welfare call"),
}


def _record(**values) -> ServiceRecord:
    record = ServiceRecord(**values)
    db.session.add(record)
    return record


def _hours_of_minutes(minutes: int | None) -> Decimal:
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.01"))


def for_checkout(
    claim: Claim, *, hours: Decimal, outcome: str, welfare_note: str = "", ended_at: datetime
) -> ServiceRecord:
    """A volunteer's, team's or station social worker's check-out."""
    request = claim.request
    by_worker = claim.worker_id is not None
    return _record(
        source="worker" if by_worker else "claim",
        request_id=request.id,
        claim_id=claim.id,
        volunteer_id=None if by_worker else (claim.dispatched_to_id or claim.volunteer_id),
        team_id=claim.team_id,
        worker_id=claim.worker_id,
        **_of_request(request),
        started_at=claim.checked_in_at,
        ended_at=ended_at,
        hours=hours,
        person_times=1,
        outcome=outcome,
        welfare_note=welfare_note,
    )


# A request closed by the station from these statuses, with work done, counts one service:
# a check-out always moves a request to ``done``, so one closed from ``assigned`` or
# ``in_progress`` has no check-out since it was last started (or reopened). One closed
# from ``done`` was counted by its check-out.
CLOSE_COUNTS_FROM = frozenset({"assigned", "in_progress"})


def for_station_close(
    request: HelpRequest, *, actor: User, hours: Decimal, outcome: str, closed_from: str
) -> ServiceRecord | None:
    """The station closed a request whose work was done without a check-out; nothing when
    it was closed from ``done`` (see ``CLOSE_COUNTS_FROM``).

    The record names who did the work: the claim's volunteer (the member a team leader
    gave it to, else the claimer) and team, or the social worker it was assigned to. The
    station worker who closes it is named only when nobody held it: the closing is on the
    timeline, and naming them beside a volunteer would count one service for two doers."""
    if closed_from not in CLOSE_COUNTS_FROM:
        return None
    claim = _last_claim(request)
    volunteer_id = team_id = worker_id = None
    if claim is None:
        worker_id = actor.id
    elif claim.worker_id is not None:
        worker_id = claim.worker_id
    else:
        volunteer_id = claim.dispatched_to_id or claim.volunteer_id
        team_id = claim.team_id
    return _record(
        source="station_close",
        request_id=request.id,
        claim_id=claim.id if claim is not None else None,
        volunteer_id=volunteer_id,
        team_id=team_id,
        worker_id=worker_id,
        **_of_request(request),
        started_at=request.started_at,
        ended_at=utcnow(),
        hours=hours,
        person_times=1,
        outcome=outcome,
    )


def for_visit(visit: Visit, person: Beneficiary) -> ServiceRecord:
    """A home visit 入户走访 by a station's worker."""
    return _record(
        source="visit",
        visit_id=visit.id,
        worker_id=visit.worker_id,
        **_of_person(person),
        category="home_visit",
        ended_at=visit.visited_at,
        hours=_hours_of_minutes(visit.minutes),
        person_times=1,
        outcome=visit.follow_up or visit.needs_found or "",
    )


def for_call(call: CallLog, person: Beneficiary) -> ServiceRecord | None:
    """A phone welfare call 电话慰问: a service only when it reached the person or family."""
    if call.outcome not in CALLS_SERVED:
        return None
    return _record(
        source="call",
        call_id=call.id,
        worker_id=call.worker_id,
        **_of_person(person),
        category="welfare_call",
        ended_at=call.called_at,
        hours=_hours_of_minutes(call.minutes),
        person_times=1,
        outcome=call.note or "",
    )


def for_activity(activity, attended, residents) -> list[ServiceRecord]:
    """A community activity closed: its volunteers' hours and the people it served (see the
    module's rule). ``attended`` are the sign-ups checked in, ``residents`` the ledger
    people named; the head count is on the activity."""
    ended = min(activity.starts_at + timedelta(minutes=activity.minutes), utcnow())
    activity.ended_at = ended  # the period it is held in is that of its records
    shared = {
        "source": "activity",
        "activity_id": activity.id,
        "station_id": activity.station_id,
        "category": ACTIVITY_CATEGORY.get(activity.kind, "other"),
        "started_at": min(activity.starts_at, ended),  # closed early: it ended when closed
        "ended_at": ended,
        "outcome": activity.title,
    }
    duration = activity.duration_hours
    records = [
        _record(
            **shared,
            village_id=activity.village_id,
            volunteer_id=signup.user_id,
            hours=duration if signup.hours is None else signup.hours,
            person_times=0,
            special_groups=[],
        )
        for signup in attended
    ]
    for row in residents:
        person = row.beneficiary
        values = {**_of_person(person), **shared}  # counted at the activity's station
        values["village_id"] = person.village_id or activity.village_id
        records.append(_record(**values, hours=Decimal("0"), person_times=1))
    if activity.head_count:
        records.append(
            _record(
                **shared,
                village_id=activity.village_id,
                hours=Decimal("0"),
                person_times=activity.head_count,
                special_groups=[],
            )
        )
    return records


def _of_request(request: HelpRequest) -> dict:
    return {
        "station_id": request.station_id,
        "village_id": request.village_id,
        "beneficiary_id": request.beneficiary_id,
        "category": request.category,
        "special_groups": list(request.special_groups or []),
    }


def _of_person(person: Beneficiary) -> dict:
    return {
        "station_id": person.station_id,
        "village_id": person.village_id,
        "beneficiary_id": person.id,
        "special_groups": list(person.special_groups or []),
    }


def _last_claim(request: HelpRequest) -> Claim | None:
    """The claim that held the request when it was closed (closing ends it: ``closed``);
    one given back (``released``) did not do the work."""
    return db.session.scalar(
        select(Claim)
        .where(Claim.request_id == request.id, Claim.status != "released")
        .order_by(Claim.id.desc())
        .limit(1)
    )
