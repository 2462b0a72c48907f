"""The station console's domain: the triage queue (tabs, counts, overdue, what is new) and
the worker's actions on one request. Every status change goes through workflow."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, select, true, union_all
from sqlalchemy.orm import joinedload, selectinload

from app import generic_plans
from app.extensions import db
from app.i18n import once_per_locale
from app.models import HelpRequest, Region, Station, Team, User
from app.models.base import utcnow
from app.models.requests import urgency_rank_column
from app.models.vocab import CATEGORIES, SOCIAL_WORKER_ONLY, SPECIAL_GROUPS, URGENCIES
from app.services import ServiceError, claims, counting, links, offers, staff, wording, workflow
from app.services.access import (
    acting_station_ids,
    may_act_on_request,
    scope_to_stations,
    visible_station_ids,
)
from app.services.codes import code_text
from app.services.deadlines import overdue_clause_unbound, overdue_params, overdue_parts_unbound
from app.services.geo import distance_km, route_to_station
from app.services.notifications import followup, queue_to_resident

TABS: dict[str, object] = {
    "new": _l("New"),
    "accepted": _l("To dispatch"),
    "offered": _l("Offering"),
    "assigned": _l("Assigned"),
    "in_progress": _l("In progress"),
    "done": _l("Awaiting confirmation"),
    "escalated": _l("Escalated"),
    "overdue": _l("Overdue"),
}


def tab_names() -> dict[str, str]:
    """The tabs' names as plain words, translated once per locale (a lazy name is
    translated again each time a page writes it)."""
    return once_per_locale("console.tabs", lambda: {tab: str(name) for tab, name in TABS.items()})


STATUS_TABS = ("new", "accepted", "offered", "assigned", "in_progress", "done")
URGENCY_ORDER = case(
    (HelpRequest.urgency == "crisis", 0), (HelpRequest.urgency == "urgent", 1), else_=2
)
MERGE_RADIUS_KM = 1.0
MERGE_DAYS = 7


# --- the queue ---------------------------------------------------------------------------


def _tab_filter_unbound(tab: str, urgencies: tuple[str, ...]):
    """The tab's condition; the overdue tab's moments as parameters (``_tab_params``)."""
    if tab in STATUS_TABS:
        return HelpRequest.status == tab
    if tab == "escalated":
        return (HelpRequest.escalated.is_(True)) & HelpRequest.status.in_(
            sorted(workflow.OPEN_STATUSES)
        )
    if tab == "overdue":
        return overdue_clause_unbound(urgencies)
    raise ServiceError(_("Unknown list."))


def _urgencies() -> tuple[str, ...]:
    return tuple(current_app.config["RESPONSE_TARGET_MINUTES"])


# A page of the queue: four phone screens of lines, the most urgent and oldest first; the
# rest a tap away (50 a page cost about a fifth more CPU a view, for lines below the fold).
PAGE_SIZE = 25
# Deeper pages are not paged to (a page number of 10**20 was an offset PostgreSQL refused:
# a 500); a queue that long is searched, not paged through.
LAST_PAGE = 400

# The tabs count up to this many; past it they say "99+" (a count of a busy station's
# whole history would read every row of it on every view).
COUNT_CAP = 99
# The queue's sort key, the same expression as in its indexes (app/models/requests.py).
URGENCY_RANK = urgency_rank_column().label("rank")


class QueueLine(NamedTuple):
    """What a line of the queue shows, and what its reader's rights are decided on: read as
    these columns alone, not as whole requests (loading fifty requests with their villages
    and stations as objects cost more than the rest of the page's queries together), and
    kept as plain attributes (a template reads each a dozen times a line: a result row's
    attribute costs 20 times as much). A tuple, so that the queue's template unpacks each
    line into names in its loop, where each ``line.field`` was a Jinja attribute look-up
    (~20 a line)."""

    id: int
    code: str
    category: str
    urgency: str
    status: str
    escalated: bool
    special_groups: list[str] | None
    sms_unreachable: bool
    possible_duplicate_of_id: int | None
    channel: str
    created_at: datetime
    station_id: int
    station_name: str
    village_id: int | None
    village_name: str | None
    address: str
    description: str
    sms_undelivered: bool  # a text to the resident or a volunteer did not get through


def _queue_column(name: str):
    if name == "station_name":
        return Station.name.label(name)
    if name == "village_name":
        return Region.name.label(name)
    if name == "sms_undelivered":
        return followup.undelivered_flag(HelpRequest.id).label(name)
    return getattr(HelpRequest, name)


QUEUE_COLUMNS = tuple(_queue_column(name) for name in QueueLine._fields)


def queue(
    user: User,
    tab: str = "new",
    *,
    now: datetime | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
):
    """The requests of the user's stations in ``tab``: most urgent first, then oldest, as
    ``QueueLine``s.

    A page at a time: a busy station's list is read on a phone, and rendering hundreds of
    rows cost more than all the queries of the page together. Each station's rows come off
    its index in the queue's order, so a page reads about ``offset + limit`` rows a station
    whatever the size of the table (ix_help_request_queue, ix_help_request_escalated)."""
    if tab not in TABS:
        raise ServiceError(_("Unknown list."))
    stations = sorted(visible_station_ids(user)) or [-1]
    urgencies = _urgencies()
    params = _queue_params(stations, tab, now, urgencies, limit, offset)
    statement = _queue_statement(tab, len(stations), urgencies)
    return [QueueLine(*row) for row in db.session.execute(statement, params)]


class QueuePage(NamedTuple):
    lines: list[QueueLine]
    counts: dict[str, int]
    # The newest request's id when the page was read (of any station: ids only grow), for
    # "new since you last looked" without rewriting the session at every look.
    newest_id: int | None


def queue_page(
    user: User,
    tab: str,
    *,
    now: datetime | None = None,
    offset: int = 0,
    at_least: dict | None = None,
) -> QueuePage:
    """``queue`` and ``counts`` at once: one statement, where each was a round trip of its
    own (the page asks both every 20 seconds). Same lines, same counts; and the newest
    request's id (an index's last entry)."""
    if tab not in TABS:
        raise ServiceError(_("Unknown list."))
    stations = sorted(visible_station_ids(user)) or [-1]
    urgencies = _urgencies()
    params = {
        **_queue_params(stations, tab, now, urgencies, PAGE_SIZE, offset),
        **overdue_params(now, urgencies),
        **_cap_params(at_least),
    }
    # A plain Core select run on the session's connection: the session's own execute wraps
    # the statement and its rows for the ORM (as app/services/nearby.py). It would flush
    # first, so do that here.
    db.session.flush()
    statement = _queue_page_statement(tab, len(stations), urgencies)
    # On its generic plan (PostgreSQL planned it afresh at every view at 1,000,000
    # requests), on a connection of its own when the page reads only: app/generic_plans.py.
    rows = generic_plans.rows(db.session.connection(), statement, params)
    lines, tab_counts, newest_id = [], {}, None
    first_line = len(TABS) + 1  # the counts, the newest id, then the line's columns
    for row in rows:
        tab_counts = dict(zip(TABS, row[: len(TABS)], strict=True))
        newest_id = row[len(TABS)]
        if row[first_line] is not None:  # an empty page: the counts alone, lines all NULL
            lines.append(QueueLine(*row[first_line:]))
    return QueuePage(lines, tab_counts, newest_id)


def _queue_params(stations, tab, now, urgencies, limit: int, offset: int) -> dict:
    return {
        **{f"station_{i}": station_id for i, station_id in enumerate(stations)},
        **(overdue_params(now, urgencies) if tab == "overdue" else {}),
        **followup.moment_params(now),
        "branch_limit": max(offset, 0) + limit,
        "page_limit": limit,
        "page_offset": max(offset, 0),
    }


def _cap_params(at_least: dict | None) -> dict[str, int]:
    return {f"cap_{tab}": max(COUNT_CAP, (at_least or {}).get(tab, 0)) + 1 for tab in TABS}


@lru_cache(maxsize=256)
def _queue_statement(tab: str, station_count: int, urgencies: tuple[str, ...]):
    """The queue's statement for a tab and a number of stations, built once (building it
    cost more than running it); the stations, moments and paging are parameters."""
    page = _page_ids(tab, station_count, urgencies)
    return _lines_of(page).order_by(page.c.rank, page.c.created_at, page.c.id)


def _page_ids(tab: str, station_count: int, urgencies: tuple[str, ...]):
    """The ids of the page's requests with their sort keys (a subquery)."""
    condition = _tab_filter_unbound(tab, urgencies)
    branches = [
        select(HelpRequest.id, URGENCY_RANK, HelpRequest.created_at)
        .where(HelpRequest.station_id == bindparam(f"station_{i}"), condition)
        .order_by(URGENCY_RANK, HelpRequest.created_at, HelpRequest.id)
        .limit(bindparam("branch_limit"))
        .subquery()
        for i in range(station_count)
    ]
    pages = union_all(*[select(*branch.c) for branch in branches]).subquery()
    return (
        select(pages.c.id, pages.c.rank, pages.c.created_at)
        .order_by(pages.c.rank, pages.c.created_at, pages.c.id)
        .limit(bindparam("page_limit"))
        .offset(bindparam("page_offset"))
        .subquery()
    )


def _lines_of(page):
    """The ``QueueLine`` columns of the requests of ``page``."""
    return (
        select(*QUEUE_COLUMNS)
        .select_from(HelpRequest)
        .join(page, page.c.id == HelpRequest.id)
        .join(Station, Station.id == HelpRequest.station_id)
        .outerjoin(Region, Region.id == HelpRequest.village_id)
    )


@lru_cache(maxsize=256)
def _queue_page_statement(tab: str, station_count: int, urgencies: tuple[str, ...]):
    """The tabs' counts and the newest request's id (one row) left-joined to the page's
    lines: a row for each line, each carrying the counts, and a single row of counts when
    the page is empty."""
    page = _page_ids(tab, station_count, urgencies)
    lines = _lines_of(page).add_columns(page.c.rank.label("queue_rank")).subquery("lines")
    stations = [bindparam(f"station_{i}") for i in range(station_count)]
    newest = select(func.max(HelpRequest.id)).scalar_subquery().label("newest_id")
    tab_counts = select(*_count_columns(urgencies, stations), newest).subquery("tab_counts")
    return (
        select(*tab_counts.c, *[lines.c[name] for name in QueueLine._fields])
        .select_from(tab_counts.outerjoin(lines, true()))
        .order_by(lines.c.queue_rank, lines.c.created_at, lines.c.id)
    )


def counts(user: User, *, now: datetime | None = None, at_least: dict | None = None) -> dict:
    """How many requests each tab holds, each counted up to ``COUNT_CAP`` + 1 (one
    statement; each tab reads at most that many index entries). ``at_least`` raises the
    cap of a tab (the tab paged deep into: its pager says how many follow)."""
    urgencies = _urgencies()
    params = {
        "stations": sorted(visible_station_ids(user)) or [-1],
        **overdue_params(now, urgencies),
        **_cap_params(at_least),
    }
    row = db.session.execute(_counts_statement(urgencies), params).one()
    return dict(zip(TABS, row, strict=True))


@lru_cache(maxsize=16)
def _counts_statement(urgencies: tuple[str, ...]):
    return select(*_count_columns(urgencies, bindparam("stations", expanding=True)))


def _capped_ids(tab: str, urgencies: tuple[str, ...], stations):
    """The ids a tab's count counts, at most its cap. The overdue tab's are read per
    urgency, each a range of the queue index cut off at the cap: as one condition they
    were a bitmap of every waiting request of the stations, built whole before the cap."""
    cap = bindparam(f"cap_{tab}")
    here = HelpRequest.station_id.in_(stations)
    if tab != "overdue":
        return select(HelpRequest.id).where(here, _tab_filter_unbound(tab, urgencies)).limit(cap)
    branches = [
        select(HelpRequest.id).where(here, part).limit(cap).subquery()
        for part in overdue_parts_unbound(urgencies)
    ]  # each a subquery: SQLite takes no LIMIT in a branch of a UNION itself
    ranges = union_all(*[select(branch.c.id) for branch in branches]).subquery()
    return select(ranges.c.id).limit(cap)


def _count_columns(urgencies: tuple[str, ...], stations) -> list:
    """A count of each tab, in the order of TABS, of the requests of ``stations`` (ids, or
    an expanding parameter)."""
    columns = []
    for tab in TABS:
        capped = _capped_ids(tab, urgencies, stations)
        columns.append(
            select(func.count())
            .select_from(capped.subquery())
            .scalar_subquery()
            .label(f"count_{tab}")
        )
    return columns


def count_text(counts: dict[str, int], at_least: dict | None = None) -> dict[str, str]:
    """The tabs' counts as shown: "99+" past the cap."""
    shown = {}
    for tab, n in counts.items():
        cap = max(COUNT_CAP, (at_least or {}).get(tab, 0))
        shown[tab] = f"{cap}+" if n > cap else str(n)
    return shown


# --- reading one request -----------------------------------------------------------------


def visible_request(user: User, request_id: int) -> HelpRequest | None:
    """The request, with its village (its page names it), if ``user`` may read it."""
    request = db.session.get(HelpRequest, request_id, options=[joinedload(HelpRequest.village)])
    if request is None or request.station_id not in visible_station_ids(user):
        return None
    return request


def distance_to_station(request: HelpRequest) -> float | None:
    station = request.station
    if None in (request.lat, request.lon, station.lat, station.lon):
        return None
    return distance_km(request.lat, request.lon, station.lat, station.lon)


def possible_duplicate_of(request: HelpRequest) -> HelpRequest | None:
    """The earlier request intake marked this one as a possible repeat of, while this one
    is open and was not merged (the mark is history once the station has decided)."""
    if not request.possible_duplicate_of_id or request.status not in workflow.OPEN_STATUSES:
        return None
    return db.session.get(HelpRequest, request.possible_duplicate_of_id)


def merge_suggestions(request: HelpRequest, user: User, *, limit: int = 5) -> list[HelpRequest]:
    """Likely duplicates: first the earlier request from the same phone that intake marked,
    then open requests nearby (≈1 km), same category, from the last 7 days."""
    if not workflow.can(request, "merge"):
        return []
    marked = possible_duplicate_of(request)
    first = (
        [marked]
        if marked is not None
        and marked.status in workflow.OPEN_STATUSES
        and not marked.merged_into_id
        and marked.station_id in visible_station_ids(user)
        else []
    )
    if request.lat is None or request.lon is None:
        return first
    dlat = MERGE_RADIUS_KM / 111.0
    dlon = MERGE_RADIUS_KM / (111.0 * max(0.1, math.cos(math.radians(request.lat))))
    query = select(HelpRequest).where(
        HelpRequest.id != request.id,
        HelpRequest.category == request.category,
        HelpRequest.status.in_(workflow.OPEN_STATUSES),
        HelpRequest.created_at >= utcnow() - timedelta(days=MERGE_DAYS),
        HelpRequest.lat.between(request.lat - dlat, request.lat + dlat),
        HelpRequest.lon.between(request.lon - dlon, request.lon + dlon),
    )
    query = (
        scope_to_stations(query, HelpRequest.station_id, user)
        .order_by(HelpRequest.created_at)
        .options(selectinload(HelpRequest.village))  # each is shown with its place
    )
    found = [
        other
        for other in db.session.scalars(query)
        if other not in first
        and distance_km(request.lat, request.lon, other.lat, other.lon) <= MERGE_RADIUS_KM
    ]
    # only what the worker may merge into (the county centre reads more than it acts on)
    return [other for other in [*first, *found] if may_act_on_request(user, other)][:limit]


# --- actions -----------------------------------------------------------------------------


def accept(request: HelpRequest, actor: User, note: str = "") -> list | None:
    """Accept the request and start offering it to volunteers straight away.

    Categories only social workers may take stay accepted for a worker to take (returns
    None); otherwise returns the offers sent (empty: nobody fitted, the request was
    escalated by the offer service).
    """
    workflow.transition(request, "accept", actor=actor, note=note.strip())
    if request.category in SOCIAL_WORKER_ONLY:
        return None
    return offers.send_offers(request, actor=actor)


def offer_again(request: HelpRequest, actor: User) -> list:
    """The worker's "offer again": a new round to volunteers; the offers sent (empty:
    nobody fitted, and the request was escalated)."""
    if not workflow.can(request, "offer"):
        workflow.transition(request, "offer", actor=actor)  # raises the plain reason
    return offers.send_offers(request, actor=actor)


def reject(request: HelpRequest, actor: User, reason: str):
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Please say why this is out of scope."), field="reason")
    event = workflow.transition(request, "reject", actor=actor, note=reason)
    queue_to_resident(request, "request_rejected", reason=reason[:40])
    return event


def edit(
    request: HelpRequest,
    actor: User,
    *,
    category: str,
    urgency: str,
    village_id: int | None,
    address: str,
    lat: float | None,
    lon: float | None,
    special_groups: Iterable[str] | None = None,
):
    """Correct category, urgency, place or special groups; the changes are written as one
    timeline note. A new village re-routes the request to the station serving it (the move
    is written on the timeline too): the old station's open offers are withdrawn first,
    and the new station's rules apply from there (``offers.apply_station_rules``); a claim
    already made stays with whoever does the work, and an escalation ends (the new station
    starts clean, as after ``reassign_station``). Only who works on the request's station
    as their own may move it so (``may_move``); the county centre acting through an
    escalation corrects it in place, and the county supervisor moves it.
    ``special_groups`` None leaves them as they are."""
    if request.status in workflow.FINAL_STATUSES:
        raise ServiceError(_("A finished request cannot be changed."))
    if category not in CATEGORIES:
        raise ServiceError(_("Choose a category from the list."), field="category")
    if urgency not in URGENCIES:
        raise ServiceError(_("Choose an urgency from the list."), field="urgency")
    if (lat is None) != (lon is None):
        raise ServiceError(_("Give both latitude and longitude, or neither."), field="lat")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ServiceError(_("These coordinates are not on the map."), field="lat")
    village = db.session.get(Region, village_id) if village_id else None
    if village_id and (village is None or village.level != "village"):
        raise ServiceError(_("Choose a village from the list."), field="village_id")
    moved_to = _station_after_move(request, village)
    if moved_to is not None and not may_move(actor, request):
        raise ServiceError(
            _("To move a request to another station, ask the county supervisor to move it."),
            field="village_id",
        )
    if moved_to is not None:
        _refuse_if_doer_left_behind(request, moved_to)
        offers.withdraw_open_offers(
            request,
            by=actor,
            reason=_("the request moved to %(station)s", station=moved_to.name),
        )
    changes = [
        words
        for words in (
            _relabel(request, "category", category, wording.category_label),
            _relabel(request, "urgency", urgency, wording.urgency_label),
        )
        if words
    ]
    address = (address or "").strip()[:200]
    if village is not None and village.id != request.village_id:
        request.village_id = village.id
        if lat is None:
            lat, lon = village.lat, village.lon
            request.location_source = "village"
        changes.append(_("village: %(name)s", name=village.name))
    if special_groups is not None:
        groups = [g for g in dict.fromkeys(special_groups) if g in SPECIAL_GROUPS]
        if set(groups) != set(request.special_groups or []):
            request.special_groups = groups
            changes.append(
                _(
                    "special groups: %(groups)s",
                    groups="、".join(wording.group_label(g) for g in groups) or "—",
                )
            )
    if address != (request.address or ""):
        request.address = address
        changes.append(_("address changed"))
    if lat is not None and (lat, lon) != (request.lat, request.lon):
        request.lat, request.lon = lat, lon
        changes.append(_("place: %(lat).5f, %(lon).5f", lat=lat, lon=lon))
    if not changes:
        raise ServiceError(_("Nothing was changed."))
    event = workflow.record_event(
        request, "edit", actor=actor, note="; ".join(changes), public=False
    )
    if moved_to is not None:
        old_name = request.station.name
        _settle_at(request, moved_to)
        workflow.record_event(
            request,
            "reassign_station",
            actor=actor,
            note=_("Moved from %(old)s to %(new)s", old=old_name, new=moved_to.name),
            public=False,
        )
        offers.apply_station_rules(request, by=actor)
    return event


_RELABELLED = {
    "category": _l("category: %(old)s → %(new)s"),
    "urgency": _l("urgency: %(old)s → %(new)s"),
}


def _relabel(request: HelpRequest, column: str, new: str, label_of) -> str:
    """Set a labelled column; the timeline's words for the change ('' if none)."""
    old = getattr(request, column)
    if new == old:
        return ""
    setattr(request, column, new)
    return str(_RELABELLED[column]) % {"old": label_of(old), "new": label_of(new)}


def _refuse_if_doer_left_behind(request: HelpRequest, station: Station) -> None:
    """A social worker doing the request must still be able to act on it at ``station``."""
    doer = request.assigned_worker
    if doer is None or request.status not in ("assigned", "in_progress"):
        return
    if station.id not in acting_station_ids(doer):
        raise ServiceError(
            _(
                "%(name)s of %(station)s is doing this: ask them to hand it back first.",
                name=doer.name,
                station=request.station.name,
            )
        )


def _settle_at(request: HelpRequest, station: Station) -> None:
    """The request now belongs to ``station``, which starts clean: no escalation, and no
    possible-duplicate mark (marks stay within one station: another station's request
    is not the new station's to know of)."""
    request.station_id = station.id
    request.station = station
    request.escalated = False
    request.possible_duplicate_of_id = None


def may_move(actor: User, request: HelpRequest) -> bool:
    """May ``actor`` send ``request`` to another station by changing its village? Only
    who works on its current station as their own, never through an escalation."""
    return request.station_id in acting_station_ids(actor)


def villages_to_edit(actor: User, request: HelpRequest, villages: list[Region]) -> list[Region]:
    """The villages the edit form offers: all of ``villages`` when ``actor`` may move the
    request; else those that keep it at its station (and its own village)."""
    if may_move(actor, request):
        return villages
    station = request.station
    nearby = [
        v
        for v in villages
        if v.id == request.village_id or station.region_id in (v.id, v.parent_id)
    ]
    return [
        v for v in nearby if v.id == request.village_id or _station_after_move(request, v) is None
    ]


def _station_after_move(request: HelpRequest, village: Region | None) -> Station | None:
    """The station serving a newly chosen village, when it is not the request's own."""
    if village is None or village.id == request.village_id:
        return None
    station = route_to_station(village_id=village.id, lat=village.lat, lon=village.lon)
    if station is None or station.id == request.station_id:
        return None
    return station


def assignable_station_ids(actor: User, request: HelpRequest) -> set[int]:
    """Stations whose volunteers and teams ``actor`` may give ``request`` to: the stations
    they work on as their own, and the request's own station (the county centre, acting on
    an escalated request, may use that station's people). A township worker's list stays
    their own stations."""
    return acting_station_ids(actor) | {request.station_id}


def assign(
    request: HelpRequest,
    actor: User,
    *,
    volunteer: User | None = None,
    team: Team | None = None,
    worker: User | None = None,
    note: str = "",
):
    """Give the request to a volunteer, a team or a worker who may work on it: a worker
    who can open and act on it, a volunteer or team of ``assignable_station_ids``."""
    stations = assignable_station_ids(actor, request)
    if worker is not None and not may_act_on_request(worker, request):
        raise ServiceError(
            _(
                "%(name)s cannot open this request: choose someone who works on it.",
                name=worker.name,
            ),
            field="target",
        )
    # A team or volunteer of a station the worker may not assign to is answered as an
    # unknown one: "belongs to another station" would tell that the id exists there.
    outside = (team is not None and team.station_id not in stations) or (
        volunteer is not None
        and (volunteer.volunteer is None or volunteer.volunteer.station_id not in stations)
    )
    if outside:
        raise ServiceError(_("Choose who does it from the list."), field="target")
    if volunteer is not None and volunteer.volunteer.status != "approved":
        raise ServiceError(_("This volunteer is not approved."), field="target")
    return claims.assign(
        request, actor=actor, volunteer=volunteer, team=team, worker=worker, note=note
    )


def escalate(request: HelpRequest, actor: User, note: str = ""):
    event = workflow.escalate(request, actor=actor, note=(note or "").strip())
    staff.notify_staff(
        request.station_id,
        "request_escalated",
        roles=staff.SUPERVISOR_ROLES,
        request_id=request.id,
        crisis=request.urgency == "crisis",
        code=code_text(request.code),
        station=request.station.name[:16],
        link=links.county_link(),
    )
    return event


def merge(request: HelpRequest, actor: User, target: HelpRequest | None):
    if target is not None and not may_act_on_request(actor, target):
        target = None  # the county reads other stations' requests, it does not change them
    if target is None or target.id == request.id:
        raise ServiceError(_("Choose the request this one duplicates."), field="target")
    if target.status not in workflow.OPEN_STATUSES:
        raise ServiceError(_("The other request is no longer open."), field="target")
    if target.merged_into_id:
        raise ServiceError(_("The other request was itself merged."), field="target")
    event = workflow.transition(
        request, "merge", actor=actor, note=_("Merged into %(code)s", code=code_text(target.code))
    )
    request.merged_into_id = target.id
    if target.possible_duplicate_of_id == request.id:
        target.possible_duplicate_of_id = None  # they are one request now
    workflow.record_event(
        target,
        "note",
        actor=actor,
        note=_("Duplicate %(code)s merged here", code=code_text(request.code)),
        public=False,
    )
    return event


def not_duplicate(request: HelpRequest, actor: User):
    """The worker checked: not the same as the earlier request. The mark goes; the
    timeline keeps both lines."""
    earlier = possible_duplicate_of(request)
    if earlier is None:
        raise ServiceError(_("This request is not marked as a possible duplicate."))
    request.possible_duplicate_of_id = None
    return workflow.record_event(
        request,
        "not_duplicate",
        actor=actor,
        note=_("Not the same as %(code)s", code=code_text(earlier.code)),
        public=False,
    )


def add_note(request: HelpRequest, actor: User, text: str, public: bool = False):
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write the note first."), field="note")
    return workflow.record_event(request, "note", actor=actor, note=text[:2000], public=public)


def close_counts_service(request: HelpRequest) -> bool:
    """Whether closing ``request`` now with "service was given" counts one service (the
    close form shows the choice only then)."""
    return request.status in counting.CLOSE_COUNTS_FROM


def close(request: HelpRequest, actor: User, outcome: str, *, served: bool = False, hours=None):
    """The station closes the request. ``served``: the work was done though nobody
    checked out, so it counts as one service (with ``hours`` if given); a request closed
    after its check-out counted already."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise ServiceError(_("Say how it ended before closing."), field="outcome")
    given = claims.parse_hours(hours) if served and str(hours or "").strip() else Decimal("0")
    closed_from = request.status
    event = workflow.transition(request, "close", actor=actor, note=outcome)
    request.outcome = outcome
    if served:
        counting.for_station_close(
            request, actor=actor, hours=given, outcome=outcome, closed_from=closed_from
        )
    return event


def acknowledge(request: HelpRequest, actor: User, note: str = ""):
    """The county supervisor has seen the escalation and says what happens next."""
    if not request.escalated or request.status not in workflow.OPEN_STATUSES:
        # A closed request is the station's record: the county no longer writes on it.
        raise ServiceError(_("This request is not escalated."))
    text = (note or "").strip() or _("Seen by the county supervisor.")
    return workflow.record_event(request, "acknowledge", actor=actor, note=text, public=False)


def reassign_station(request: HelpRequest, actor: User, station: Station | None):
    """The county supervisor hands an escalated request to another station of the county.

    Only escalated requests: the supervisor reads the rest and never changes another
    station's work (DESIGN.md). The move settles the escalation: the receiving station
    takes the request over as if it had been routed there, with its own rules for who
    serves it (full phones, minors' names) and who may act on it."""
    if not request.escalated:
        raise ServiceError(_("Only an escalated request can be moved by the county."))
    if station is None or station.id not in visible_station_ids(actor):
        raise ServiceError(_("Choose a station of your county."), field="station_id")
    if request.status not in workflow.OPEN_STATUSES:
        raise ServiceError(_("Only an open request can move to another station."))
    if station.id == request.station_id:
        raise ServiceError(_("The request is already at this station."), field="station_id")
    _refuse_if_doer_left_behind(request, station)
    # The old station's open offers go, as when an edit moves the request (item 17).
    offers.withdraw_open_offers(
        request,
        by=actor,
        reason=_("the request moved to %(station)s", station=station.name),
    )
    old = request.station.name
    _settle_at(request, station)
    return workflow.record_event(
        request,
        "reassign_station",
        actor=actor,
        note=_("Moved from %(old)s to %(new)s", old=old, new=station.name),
        public=False,
    )
