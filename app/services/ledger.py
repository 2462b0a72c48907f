"""The beneficiary ledger 服务对象台账: search, records, care plans and home visits."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import (
    Beneficiary,
    CallLog,
    HelpRequest,
    OutboxMessage,
    Region,
    ServiceRecord,
    User,
    Visit,
)
from app.models.base import utcnow
from app.models.vocab import CALL_OUTCOMES, CALLS_SERVED, CATEGORIES, SPECIAL_GROUPS, URGENCIES
from app.services import ServiceError, as_id, counting, form_tokens, intake
from app.services.access import acting_station_ids, scope_to_acting_stations, visible_station_ids
from app.services.links import visits_link
from app.services.notifications import queue_sms
from app.services.phones import normalise_phone
from app.services.staff import station_staff
from app.services.wording import local_date, local_today

LIVING_CONDITIONS: dict[str, object] = {
    "good": _l("Good"),
    "fair": _l("Fair"),
    "poor": _l("Poor"),
    "unsafe": _l("Unsafe"),
}
HEALTH: dict[str, object] = {
    "good": _l("Good"),
    "fair": _l("Fair"),
    "poor": _l("Poor"),
    "needs_care": _l("Needs medical care"),
}


def search(
    user: User, *, q: str = "", village_id: int | None = None, group: str = "", limit: int = 200
) -> list[Beneficiary]:
    query = select(Beneficiary)
    query = scope_to_acting_stations(query, Beneficiary.station_id, user)
    q = (q or "").strip()
    if q:
        query = query.where(Beneficiary.name.contains(q))
    if village_id:
        query = query.where(Beneficiary.village_id == village_id)
    rows = list(db.session.scalars(query.order_by(Beneficiary.name, Beneficiary.id)))
    if group:
        rows = [b for b in rows if group in (b.special_groups or [])]
    return rows[:limit]


def villages_for(user: User) -> list[Region]:
    """Villages served by the user's stations (for the search filter)."""
    from app.models import Station

    region_ids = select(Station.region_id).where(
        Station.id.in_(visible_station_ids(user) or {-1})
    )  # a subquery: one statement
    query = select(Region).where(
        or_(Region.id.in_(region_ids), Region.parent_id.in_(region_ids)),
        Region.level == "village",
    )
    return list(db.session.scalars(query.order_by(Region.code)))


def visible_beneficiary(user: User, beneficiary_id: int) -> Beneficiary | None:
    person = db.session.get(Beneficiary, beneficiary_id)
    if person is None or person.station_id not in acting_station_ids(user):
        return None
    return person


def create(
    user: User,
    *,
    station_id: int,
    name: str,
    phone: str = "",
    village_id=None,
    special_groups=(),
    guardian_name: str = "",
    guardian_phone: str = "",
    guardian_relation: str = "",
    address: str = "",
    notes: str = "",
    birth_year: int | None = None,
    gender: str = "",
) -> Beneficiary:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Please enter the person's name."), field="name")
    if station_id not in acting_station_ids(user):
        raise ServiceError(_("Choose one of your stations."), field="station_id")
    unknown = set(special_groups) - set(SPECIAL_GROUPS)
    if unknown:
        raise ServiceError(_("Choose groups from the list."), field="special_groups")
    village = db.session.get(Region, village_id) if village_id else None
    person = Beneficiary(
        name=name[:64],
        gender=gender,
        birth_year=birth_year,
        phone=_phone_or_none(phone, "phone"),
        special_groups=list(special_groups),
        guardian_name=(guardian_name or "").strip()[:64],
        guardian_phone=_phone_or_none(guardian_phone, "guardian_phone"),
        guardian_relation=(guardian_relation or "").strip()[:32],
        village_id=village.id if village else None,
        station_id=station_id,
        responsible_worker_id=user.id,
        address=(address or "").strip()[:200],
        lat=village.lat if village else None,
        lon=village.lon if village else None,
        notes=(notes or "").strip(),
    )
    db.session.add(person)
    db.session.flush()
    return person


def _phone_or_none(raw: str, field: str) -> str | None:
    if not (raw or "").strip():
        return None
    try:
        return normalise_phone(raw)
    except ServiceError as error:
        raise ServiceError(error.message, field=field) from None


def set_care_plan(
    person: Beneficiary, *, interval_days: int | None, responsible_worker: User | None = None
) -> Beneficiary:
    if interval_days is not None and not 1 <= interval_days <= 365:
        raise ServiceError(_("Visit every 1 to 365 days."), field="visit_interval_days")
    person.visit_interval_days = interval_days
    if responsible_worker is not None:
        person.responsible_worker_id = responsible_worker.id
    person.next_visit_due = _next_due(person)
    db.session.flush()
    return person


def _next_due(person: Beneficiary) -> date | None:
    if not person.visit_interval_days:
        return None
    last = person.last_visit_at
    start = local_date(last) if last else local_today()
    return start + timedelta(days=person.visit_interval_days)


def requests_of(person: Beneficiary) -> list[HelpRequest]:
    query = select(HelpRequest).where(HelpRequest.beneficiary_id == person.id)
    return list(db.session.scalars(query.order_by(HelpRequest.created_at.desc())))


def services_of(person: Beneficiary) -> list[ServiceRecord]:
    query = select(ServiceRecord).where(ServiceRecord.beneficiary_id == person.id)
    return list(db.session.scalars(query.order_by(ServiceRecord.ended_at.desc())))


def visits_due(user: User, *, within_days: int = 7) -> tuple[list[Beneficiary], list[Beneficiary]]:
    """(overdue, due soon) for the user's stations, soonest first."""
    today = local_today()
    query = select(Beneficiary).where(
        Beneficiary.next_visit_due.is_not(None),
        Beneficiary.next_visit_due <= today + timedelta(days=within_days),
    )
    query = scope_to_acting_stations(query, Beneficiary.station_id, user)
    rows = list(db.session.scalars(query.order_by(Beneficiary.next_visit_due, Beneficiary.id)))
    return [b for b in rows if b.next_visit_due < today], [
        b for b in rows if b.next_visit_due >= today
    ]


def record_visit(
    person: Beneficiary,
    worker: User,
    *,
    living_conditions: str,
    health: str,
    needs_found: str = "",
    follow_up: str = "",
    request_category: str = "",
    request_urgency: str = "normal",
    minutes=None,
    form_token: str | None = None,
) -> Visit:
    """Log a home visit's welfare check, move the care plan on, maybe open a request.
    ``form_token``: the web form's one-time token (``form_tokens``), spent once the visit
    is known to be valid; None where no form is sent twice (the demo)."""
    if living_conditions not in LIVING_CONDITIONS:
        raise ServiceError(_("Choose the living conditions."), field="living_conditions")
    if health not in HEALTH:
        raise ServiceError(_("Choose the state of health."), field="health")
    if request_category and request_category not in CATEGORIES:
        raise ServiceError(_("Choose a category from the list."), field="request_category")
    if request_urgency not in URGENCIES:
        raise ServiceError(_("Choose an urgency from the list."), field="request_urgency")
    if request_category and not (needs_found or "").strip():
        raise ServiceError(_("Describe the need before opening a request."), field="needs_found")
    spent = _minutes(minutes, field="minutes", required=False)
    if form_token is not None:
        form_tokens.spend(form_token)
    now = utcnow()
    visit = Visit(
        beneficiary=person,
        worker_id=worker.id,
        station_id=person.station_id,
        visited_at=now,
        living_conditions=living_conditions,
        health=health,
        needs_found=(needs_found or "").strip(),
        follow_up=(follow_up or "").strip(),
        minutes=spent,
    )
    db.session.add(visit)
    db.session.flush()  # the record names the visit
    counting.for_visit(visit, person)
    person.last_visit_at = now
    person.next_visit_due = _next_due(person)
    if request_category:
        request = _spawn_request(person, worker, request_category, request_urgency, needs_found)
        visit.spawned_request_id = request.id
    db.session.flush()
    return visit


def log_call(
    person: Beneficiary,
    worker: User,
    *,
    outcome: str,
    minutes=None,
    note: str = "",
    form_token: str | None = None,
) -> CallLog:
    """A phone welfare call 电话慰问 to a person of the ledger. One that reached the person
    or their family counts as a service (app/services/counting.py); every call is logged.
    ``form_token`` as for ``record_visit``."""
    if outcome not in CALL_OUTCOMES:
        raise ServiceError(_("Choose how the call went."), field="outcome")
    spent = _minutes(minutes, field="minutes", required=outcome in CALLS_SERVED)
    if form_token is not None:
        form_tokens.spend(form_token)
    call = CallLog(
        beneficiary_id=person.id,
        worker_id=worker.id,
        station_id=person.station_id,
        called_at=utcnow(),
        outcome=outcome,
        minutes=spent or 0,
        note=(note or "").strip()[:2000],
    )
    db.session.add(call)
    db.session.flush()  # the record names the call
    counting.for_call(call, person)
    db.session.flush()
    return call


def calls_of(person: Beneficiary) -> list[CallLog]:
    query = select(CallLog).where(CallLog.beneficiary_id == person.id)
    return list(db.session.scalars(query.order_by(CallLog.called_at.desc(), CallLog.id.desc())))


MAX_MINUTES = 600


def _minutes(raw, *, field: str, required: bool) -> int | None:
    """Minutes typed in a form: whole, 1 to 600; blank is None unless ``required``."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        if required:
            raise ServiceError(_("Enter how many minutes it took."), field=field)
        return None
    value = as_id(text)
    if value is None or not 1 <= value <= MAX_MINUTES:
        raise ServiceError(_("Minutes must be a whole number from 1 to 600."), field=field)
    return value


def _spawn_request(person, worker, category, urgency, description) -> HelpRequest:
    request = intake.submit_request(
        category=category,
        description=description.strip(),
        special_groups=tuple(person.special_groups or ()),
        for_whom="neighbour",
        urgency=urgency,
        lat=person.lat,
        lon=person.lon,
        village_id=person.village_id,
        address=person.address or "",
        contact_phone=person.phone or person.guardian_phone,
        contact_name=person.name,
        channel="visit",
        consent=True,
        consent_by=person.name,
        consent_method="visit",
        by=worker,
        beneficiary=person,
        actor_label="staff",
    )
    if request.station_id != person.station_id and person.station_id in acting_station_ids(worker):
        request.station_id = person.station_id  # the visiting station keeps its own case
    return request


def overdue_visits_by_worker() -> dict[int, int]:
    """For the overdue-visits job: each worker to tell, and how many visits are overdue.
    Nobody responsible (or they left): the station's workers are told instead."""
    today = local_today()
    rows = db.session.execute(
        select(Beneficiary.responsible_worker_id, Beneficiary.station_id, func.count())
        .where(Beneficiary.next_visit_due < today)
        .group_by(Beneficiary.responsible_worker_id, Beneficiary.station_id)
    ).all()
    counts: dict[int, int] = {}
    for worker_id, station_id, count in rows:
        worker = db.session.get(User, worker_id) if worker_id is not None else None
        if worker is not None and worker.active:
            told = [worker]
        else:
            told = station_staff(station_id) if station_id is not None else []
        for user in told:
            counts[user.id] = counts.get(user.id, 0) + count
    return counts


def alert_overdue_visits_to(worker: User, count: int) -> bool:
    """One SMS a day to ``worker`` about their ``count`` overdue visits; False if they
    were texted in the last 20 hours (or cannot be)."""
    if not worker.active or not worker.phone:
        return False
    start_of_day = utcnow() - timedelta(hours=20)
    already = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.template == "visit_overdue",
            OutboxMessage.user_id == worker.id,
            OutboxMessage.created_at >= start_of_day,
        )
    )
    if already:
        return False
    queue_sms(
        worker.phone,
        "visit_overdue",
        language=worker.language or "zh",
        user_id=worker.id,
        count=count,
        link=visits_link(),
    )
    return True
