"""Open311 GeoReport v2 (issue 19): the services and the requests as the public may read
them (filing one: app/services/open311_filing.py). Answers are plain dicts and lists; the
web layer writes them as JSON or XML (app/blueprints/open311/formats.py).

The privacy rule of every read endpoint is ``public_request``: no name, no phone, no
free-text address, ever; no description at all (a scrubber cannot promise "no names" over
free Chinese text), except to a key of the serving station (or of the maker whose key
filed the request); every place is the village's
centre. The professional and social-worker-only categories (``NOT_PUBLIC``: crisis,
emotional support, needs assessment...) are not in public reads at all: only a key of the
serving station lists them. A request's service_code is always one /services lists (a
category residents cannot ask for, such as a safety check, reads as ``other``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import HelpRequest, Region, Station
from app.models.vocab import (
    CATEGORIES,
    FOR_WHOM,
    PROFESSIONAL_CATEGORIES,
    RESIDENT_CATEGORIES,
    SOCIAL_WORKER_ONLY,
    SPECIAL_GROUPS,
    label,
)
from app.services import ServiceError, as_id, wording, workflow

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-30T00:00:00Z"
MAX_DAYS = 90  # the specification's default window and widest range
MAX_RESULTS = 500
MAX_IDS = 100
# Not in public reads at all: only a key of the serving station lists them.
NOT_PUBLIC = SOCIAL_WORKER_ONLY | PROFESSIONAL_CATEGORIES
# Each request is about one person: the API's "who it is for" choices.
API_FOR_WHOM = ("self", "family", "neighbour", "cared_for")


class Open311Error(ServiceError):
    """A refusal in the specification's terms: its HTTP code and description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code


# --- discovery and services ----------------------------------------------------------------


def discovery(base_url: str) -> dict:
    return {
        "changeset": CHANGESET,
        "contact": _("Your social work station"),
        "key_service": _("A station admin makes API keys on the station's API keys page."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def services() -> list[dict]:
    """One service per category a resident may ask for, with the words the form uses."""
    return [
        {
            "service_code": code,
            "service_name": str(words),
            "description": label(CATEGORIES, code),
            "metadata": True,  # who it is for, special groups, the wanted time, the village
            "type": "realtime",
            "keywords": code.replace("_", " "),
            "group": _("Help for residents"),
        }
        for code, words in RESIDENT_CATEGORIES.items()
    ]


def service_definition(service_code: str) -> dict:
    if service_code not in RESIDENT_CATEGORIES:
        raise Open311Error(404, _("There is no service with the code %(code)s.", code=service_code))
    attributes = [
        _attribute(
            1,
            "for_whom",
            "singlevaluelist",
            _("Who is the help for?"),
            [(code, label(FOR_WHOM, code)) for code in API_FOR_WHOM],
        ),
        _attribute(
            2,
            "special_groups",
            "multivaluelist",
            _("Does the person belong to any of these groups?"),
            [(code, str(words)) for code, words in SPECIAL_GROUPS.items()],
        ),
        _attribute(3, "wanted_at", "datetime", _("When is the help wanted?")),
        _attribute(4, "wanted_note", "string", _("A note on the time (at most 64 characters).")),
        _attribute(
            5,
            "village_code",
            "string",
            _("The 12-digit administrative code of the village, if known."),
        ),
    ]
    return {"service_code": service_code, "attributes": attributes}


def _attribute(order, code, datatype, description, values=None) -> dict:
    attribute = {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": False,
        "datatype_description": "",
        "order": order,
        "description": description,
    }
    if values is not None:
        attribute["values"] = [{"key": key, "name": name} for key, name in values]
    return attribute


def check_jurisdiction(jurisdiction_id: str | None) -> Region | None:
    """The county or township of a ``jurisdiction_id`` (its administrative code); None
    when none was given. An unknown one is refused with 404."""
    code = (jurisdiction_id or "").strip()
    if not code:
        return None
    region = db.session.scalars(select(Region).where(Region.code == code[:12])).first()
    if region is None or region.code != code or region.level not in ("county", "township"):
        raise Open311Error(404, _("There is no jurisdiction with the id %(id)s.", id=code[:40]))
    return region


# --- reading requests ----------------------------------------------------------------------


def public_request(request: HelpRequest, reader: Reader | None = None) -> dict:
    """A request as a reader may see it (the module docstring says what is left out);
    ``reader``: whose key reads it, if any."""
    lat, lon = public_place(request)
    return {
        "service_request_id": str(request.id),
        "status": public_status(request),
        "status_notes": label(workflow.STATUSES, request.status),
        "service_name": str(RESIDENT_CATEGORIES[public_code(request.category)]),
        "service_code": public_code(request.category),
        "description": request.description or "" if serves(reader, request) else "",
        "agency_responsible": request.station.name if request.station is not None else "",
        "service_notice": "",
        "requested_datetime": w3c(request.created_at),
        "updated_datetime": w3c(request.updated_at),
        "expected_datetime": w3c(request.wanted_at),
        "address": _public_address(request),
        "address_id": "",
        "zipcode": "",
        "lat": lat,
        "long": lon,
        "media_url": "",
    }


def public_status(request: HelpRequest) -> str:
    """The specification's two statuses: "closed" once a request is final, else "open"."""
    return "closed" if request.status in workflow.FINAL_STATUSES else "open"


def public_code(category: str) -> str:
    """The service_code of /services a category reads as."""
    return category if category in RESIDENT_CATEGORIES else "other"


@dataclass(frozen=True)
class Reader:
    """Who reads with a live key: the key's station and the key's maker."""

    station_id: int
    maker_id: int | None = None


def serves(reader: Reader | None, request: HelpRequest) -> bool:
    """Is the reader's key one of the station serving ``request``, or did a key of the
    same maker file it (channel api)?"""
    if reader is None:
        return False
    if reader.station_id == request.station_id:
        return True
    filed = request.channel == "api" and request.submitter_id is not None
    return filed and request.submitter_id == reader.maker_id


def publicly_listed(request: HelpRequest, reader: Reader | None = None) -> bool:
    """A professional category's request exists only for its serving station's key."""
    return request.category not in NOT_PUBLIC or serves(reader, request)


def public_place(request: HelpRequest) -> tuple[float | None, float | None]:
    """Where a reader may place a request: its village's centre, whoever it is about
    (rural homes 100 m apart are single houses); without a village, nowhere."""
    village = request.village
    if village is not None and village.lat is not None and village.lon is not None:
        return round(village.lat, 3), round(village.lon, 3)
    return None, None


def _public_address(request: HelpRequest) -> str:
    village = request.village
    if village is None:
        return ""
    parent = village.parent
    return f"{parent.name} {village.name}" if parent is not None else village.name


def w3c(moment: datetime | None) -> str:
    return wording.w3c_time(moment)


def parse_moment(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Open311Error(
            400, _("%(name)s must be a date and time such as 2026-11-01T00:00:00Z.", name=name)
        ) from None
    if not 2000 <= moment.year <= 2100:  # checked first: year 1 less an offset overflows
        raise Open311Error(400, _("%(name)s must be between 2000 and 2100.", name=name))
    return wording.to_utc(moment)  # without an offset: local time, as the forms take it


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[int, ...] = ()
    codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


def parse_query(args: Mapping[str, str]) -> RequestQuery:
    """The filters of GET requests, checked: 400 for anything malformed."""
    raw_ids = _listed(args.get("service_request_id"))
    ids = tuple(dict.fromkeys(as_id(value) for value in raw_ids))
    if None in ids or len(ids) > MAX_IDS:
        raise Open311Error(400, _("service_request_id must be up to 100 numbers, comma separated."))
    codes = _listed(args.get("service_code"))
    unknown = [code for code in codes if code not in RESIDENT_CATEGORIES]
    if unknown:
        raise Open311Error(
            400, _("There is no service with the code %(code)s.", code=unknown[0][:40])
        )
    statuses = _listed(args.get("status"))
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, _("status must be open or closed."))
    start = parse_moment(args["start_date"], "start_date") if args.get("start_date") else None
    end = parse_moment(args["end_date"], "end_date") if args.get("end_date") else None
    if start and end and end < start:
        raise Open311Error(400, _("end_date must not be before start_date."))
    if start and end and end - start > timedelta(days=MAX_DAYS):
        raise Open311Error(400, _("Ask for at most 90 days at a time."))
    return RequestQuery(tuple(ids), tuple(codes), tuple(statuses), start, end)


def _listed(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def find_requests(
    query: RequestQuery,
    jurisdiction: Region | None,
    now: datetime,
    reader: Reader | None = None,
) -> list[dict]:
    """The requests a GET asks for, newest first, as ``public_request``. With ids, just
    those (the specification: ids override the other filters); else at most 90 days (from
    ``start_date`` when only it is given). The professional categories only for a key of
    their serving station."""
    statement = select(HelpRequest).options(
        selectinload(HelpRequest.station),
        selectinload(HelpRequest.village).selectinload(Region.parent),
    )
    if query.ids:
        statement = statement.where(HelpRequest.id.in_(query.ids))
    else:
        window = timedelta(days=MAX_DAYS)
        end = query.end or (min(now, query.start + window) if query.start else now)
        start = query.start or (end - window)
        statement = statement.where(HelpRequest.created_at >= start, HelpRequest.created_at <= end)
        if query.codes:
            wanted = set(query.codes)
            if "other" in wanted:  # what reads as other
                wanted |= set(CATEGORIES) - set(RESIDENT_CATEGORIES)
            statement = statement.where(HelpRequest.category.in_(sorted(wanted)))
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            wanted = (
                workflow.FINAL_STATUSES if "closed" in query.statuses else workflow.OPEN_STATUSES
            )
            statement = statement.where(HelpRequest.status.in_(sorted(wanted)))
    if jurisdiction is not None:
        statement = statement.where(HelpRequest.station_id.in_(stations_in(jurisdiction)))
    public = HelpRequest.category.not_in(sorted(NOT_PUBLIC))
    if reader is not None:
        own = HelpRequest.station_id == reader.station_id
        if reader.maker_id is not None:
            filed = and_(HelpRequest.channel == "api", HelpRequest.submitter_id == reader.maker_id)
            own = or_(own, filed)
        public = or_(public, own)
    statement = statement.where(public)
    statement = statement.order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
    rows = db.session.scalars(statement.limit(MAX_RESULTS))
    return [public_request(row, reader) for row in rows]


def stations_in(region: Region) -> list[int]:
    regions = {region.id}
    frontier = [region.id]
    while frontier:
        children = db.session.scalars(select(Region.id).where(Region.parent_id.in_(frontier)))
        frontier = [child for child in children if child not in regions]
        regions.update(frontier)
    return list(db.session.scalars(select(Station.id).where(Station.region_id.in_(regions))))


def readable_request(raw_id: str, reader: Reader | None = None) -> HelpRequest | None:
    """The request of an id as text, if this reader may know it exists."""
    request_id = as_id(raw_id)
    request = db.session.get(HelpRequest, request_id) if request_id is not None else None
    if request is None or not publicly_listed(request, reader):
        return None
    return request


def one_request(
    raw_id: str, jurisdiction: Region | None, reader: Reader | None = None
) -> list[dict]:
    request = readable_request(raw_id, reader)
    if request is not None and jurisdiction is not None:
        if request.station_id not in stations_in(jurisdiction):
            request = None
    if request is None:
        raise Open311Error(404, _("There is no request with the id %(id)s.", id=str(raw_id)[:40]))
    return [public_request(request, reader)]


def token(raw_token: str, reader: Reader | None = None) -> list[dict]:
    """GeoReport's deferred ids: a token here is the request's id, answered at once."""
    request_id = as_id(raw_token)
    if request_id is None or readable_request(raw_token, reader) is None:
        raise Open311Error(
            404, _("There is no request for the token %(t)s.", t=str(raw_token)[:40])
        )
    return [{"service_request_id": str(request_id), "token": str(request_id)}]
