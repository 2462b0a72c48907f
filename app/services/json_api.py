"""The JSON API beside Open311 (issue 19), for what GeoReport lacks: a request's public
timeline, a station's open requests (for a key of that station), and the county's
dashboard figures (for a county centre's key). No names or phones: the requests are
``open311.public_request``'s (with their descriptions only for the serving station's own
key), the timeline says what happened and when, never who or the notes (and answers 404
for a professional category's request but to its station), and the figures are counts."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import ApiKey, HelpRequest, Region, RequestEvent
from app.models.vocab import EVENTS, GROUP_BITS
from app.services import ServiceError, api_keys, as_id, stats, workflow
from app.services.open311 import (
    Open311Error,
    Reader,
    public_request,
    public_status,
    readable_request,
    w3c,
)

MAX_OPEN = 500


def _key_or_403(key: ApiKey | None) -> ApiKey:
    if key is None:
        raise Open311Error(403, _("The api_key is missing, wrong or revoked."))
    return key


def timeline(raw_id: str, reader: Reader | None = None) -> dict:
    """A request's public steps: the moves and events a resident's own page shows (a
    professional category's: for its serving station's key only, else 404)."""
    request = readable_request(raw_id, reader)
    if request is None:
        raise Open311Error(404, _("There is no request with the id %(id)s.", id=str(raw_id)[:40]))
    events = db.session.scalars(
        select(RequestEvent)
        .where(RequestEvent.request_id == request.id, RequestEvent.public.is_(True))
        .order_by(RequestEvent.at, RequestEvent.id)
    )
    return {
        "service_request_id": str(request.id),
        "status": public_status(request),
        "steps": [
            {
                "at": w3c(event.at),
                "action": event.action,
                "label": _step_label(event),
                "status": event.to_status or "",
            }
            for event in events
        ],
    }


def _step_label(event: RequestEvent) -> str:
    move = workflow.MOVES.get(event.action)
    if move is not None:
        return str(move.label)
    return str(EVENTS.get(event.action, event.action))


def station_open_requests(key: ApiKey | None, raw_station_id: str) -> dict:
    """The open requests of the key's own station; any other station's: 403."""
    key = _key_or_403(key)
    station_id = as_id(raw_station_id)
    station = api_keys.station_for_key(key, station_id) if station_id is not None else None
    if station is None:
        raise Open311Error(403, _("This key may read only its own station's requests."))
    rows = db.session.scalars(
        select(HelpRequest)
        .options(
            selectinload(HelpRequest.station),
            selectinload(HelpRequest.village).selectinload(Region.parent),
        )
        .where(
            HelpRequest.station_id == station.id,
            HelpRequest.status.in_(sorted(workflow.OPEN_STATUSES)),
        )
        .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
        .limit(MAX_OPEN)
    )
    reader = Reader(key.station_id, key.created_by_id)
    return {
        "station_id": station.id,
        "station_name": station.name,
        "requests": [
            {
                **public_request(row, reader),
                "detailed_status": row.status,
                "urgency": row.urgency,
            }
            for row in rows
        ],
    }


def county_figures(key: ApiKey | None, month: str | None) -> dict:
    """The county dashboard's figures of a month (default: this one), for a county key."""
    key = _key_or_403(key)
    if not api_keys.is_county_key(key):
        raise Open311Error(403, _("Only a county centre's key may read the county's figures."))
    try:
        period = stats.parse_period(month=month or None)
    except ServiceError as error:  # the month's own words
        raise Open311Error(400, error.message) from None
    ids = tuple(sorted(api_keys.county_station_ids(key)))
    figures = stats.figures(stats.Scope(ids, frozenset(), True), period)
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "person_times": figures.total.person_times,
        "hours": _number(figures.total.hours),
        "by_category": {
            code: {"person_times": s.person_times, "hours": _number(s.hours)}
            for code, s in figures.by_category.items()
        },
        "by_group": {code: figures.total.by_group.get(code, 0) for code in GROUP_BITS},
        "requests_received": figures.requests_received,
        "requests_by_channel": dict(figures.requests_by_channel),
        "requests_by_status": dict(figures.requests_by_status),
        "volunteers_active": figures.volunteers_active,
        "teams_active": figures.teams_active,
        "satisfaction_average": figures.satisfaction.average,
        "visits_done": figures.visits_done,
        "visits_overdue": figures.visits_overdue,
        "stations": [
            {
                "station_id": row.station_id,
                "name": row.name,
                "person_times": row.served.person_times,
                "hours": _number(row.served.hours),
                "requests": row.requests,
            }
            for row in figures.stations
        ],
    }


def _number(value: Decimal | None) -> float:
    return float(value or 0)
