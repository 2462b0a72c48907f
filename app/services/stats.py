"""A station's month, counted: the one service that computes every figure the dashboards,
the exports and the tests show (issue 15). Aggregate SQL over service records, requests,
the ledger and staff; never a Python loop over rows. Scoped by ``Scope``: the stations
counted, and the stations whose people the user may see by name.

Figures are plain dataclasses so pages, spreadsheets and tests read the same numbers.

Definitions (the README quotes them):

- **Period**: local calendar days (config ``LOCAL_TIMEZONE``, Asia/Shanghai), first to
  last inclusive. A service counts in the period its ``ServiceRecord.ended_at`` falls in;
  a request counts as received in the period its ``created_at`` falls in.
- **Person-times 服务人次** = SUM(``ServiceRecord.person_times``); **service hours** =
  SUM(``ServiceRecord.hours``), over records of the scope's stations ended in the period
  (the counting rule itself: ``app/services/counting.py``). By category
  (``counting.RECORD_CATEGORIES``), by special group (a record carrying two groups counts
  under both, so the groups do not add up to the total), by station (and there by
  category and by source) and by village (the record's village; "village not known" when
  it has none).
- **Volunteers active**: distinct ``volunteer_id`` with a record in the period (a team
  member dispatched counts as the doer). **Teams active**: distinct ``team_id``.
  **New volunteers**: volunteer profiles of a scope station approved in the period.
  **Hours per volunteer**: hours of records with a volunteer / volunteers active.
- **Requests received**: created in the period at a scope station, **not counting a
  request merged into another** (it is the same need asked twice; the request it was
  merged into counts). By channel, and by status as of now.
- **Timing**, per urgency, over the requests received: time to accept = ``accepted_at``
  - ``created_at``; time to finish = ``done_at`` (or ``closed_at`` when it was closed
  without being marked done) - ``created_at``; in minutes. Median and 90th percentile by
  the nearest-rank method: of n values sorted, the ⌈p·n⌉-th (the median of 4 values is
  the 2nd). Within target = share of the accepted requests accepted within the urgency's
  response target (config ``RESPONSE_TARGET_MINUTES``).
- **Satisfaction**: ratings given in the period (the timeline event "rated" at, with the
  request's stars) for requests of scope stations: their number, average stars, share of
  4 or 5 stars; **not solved** = requests reopened by the resident in the period (event
  "reopen").
- **Coverage**, over the quarter the period ends in: for each special group, the people
  of the ledger of scope stations in that group, and those of them reached = with any
  service record (service, home visit or welfare call that reached them) ended in the
  quarter, by whichever station. The people not reached are listed only for stations
  the user serves (``Scope.serving_ids``), with their last service before the quarter's
  end and the days since (to the quarter's end, or today while it runs), never served
  first, then longest gap first. A station's ``coverage_share``: its people in any group,
  reached, over all of them.
- **Visits done**: service records of source ``visit`` in the period. **Visits
  overdue**: people of the ledger whose next visit was due before today (local).
- **Certified workers**: active social workers and station admins based at the station
  with a social-work certificate (``vocab.CERTIFIED_LEVELS``).
- **Micro-wishes and resources linked** (collected, published, claimed, fulfilled; yuan):
  defined and counted in ``app/services/wish_stats.py``.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import (
    Beneficiary,
    HelpRequest,
    Region,
    RequestEvent,
    ServiceRecord,
    Station,
    User,
    UserRole,
    VolunteerProfile,
)
from app.models.vocab import CERTIFIED_LEVELS, CHANNELS, GROUP_BITS, STATUSES
from app.services import ServiceError, access, deadlines, wish_stats, wording
from app.services.counting import RECORD_CATEGORIES
from app.services.wish_stats import WishFigures

# --- what is counted, and over which days ---------------------------------------------------

MAX_SPAN_DAYS = 366
URGENCY_ORDER = ("crisis", "urgent", "normal")
_HOURS = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """Local calendar days (LOCAL_TIMEZONE), ``start`` to ``end`` inclusive."""

    start: date
    end: date

    @property
    def is_month(self) -> bool:
        """The whole of one calendar month."""
        return (
            self.start.day == 1
            and (self.start.year, self.start.month) == (self.end.year, self.end.month)
            and self.end.day == monthrange(self.end.year, self.end.month)[1]
        )

    @property
    def label(self) -> str:
        """「2026年11月」 for a month, else 「2026-11-01 至 2026-11-15」."""
        if self.is_month:
            return _("%(year)d-%(month)02d", year=self.start.year, month=self.start.month)
        return _("%(start)s to %(end)s", start=self.start.isoformat(), end=self.end.isoformat())

    @property
    def month_param(self) -> str:
        """ "2026-11" for a month (the ``month`` a link carries), else ""."""
        return f"{self.start:%Y-%m}" if self.is_month else ""

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Naive UTC [from, to) covering the local days (how times are stored)."""
        return _utc_midnight(self.start), _utc_midnight(self.end + timedelta(days=1))


def _utc_midnight(day: date) -> datetime:
    return wording.to_utc(datetime.combine(day, time(0)))


def month_period(year: int, month: int) -> Period:
    """The whole calendar month."""
    return Period(date(year, month, 1), date(year, month, monthrange(year, month)[1]))


def quarter_of(day: date) -> Period:
    """The calendar quarter ``day`` falls in."""
    first = 3 * ((day.month - 1) // 3) + 1
    return Period(date(day.year, first, 1), month_period(day.year, first + 2).end)


def months_before(last: Period, months: int) -> list[Period]:
    """``months`` calendar months ending with the month ``last`` ends in, oldest first."""
    year, month = last.end.year, last.end.month
    found = []
    for _step in range(months):
        found.append(month_period(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_period(
    month: str | None = None,
    start: str | None = None,
    end: str | None = None,
    *,
    today: date | None = None,
) -> Period:
    """A period from a query string: ``month`` "YYYY-MM", or ``start`` and ``end``
    "YYYY-MM-DD"; nothing: the current local month. Raises ServiceError (with the field)
    for text that is not a date, an end before the start, more than 366 days, or a period
    that starts after today."""
    today = today or wording.local_today()
    month, start, end = ((value or "").strip() for value in (month, start, end))
    if month:
        period = _month_of(month)
    elif start or end:
        period = Period(_day_of(start, "start"), _day_of(end, "end"))
    else:
        return month_period(today.year, today.month)
    if period.end < period.start:
        raise ServiceError(_("The end date must not be before the start date."), field="end")
    if (period.end - period.start).days + 1 > MAX_SPAN_DAYS:
        raise ServiceError(_("Choose at most 366 days."), field="end")
    if period.start > today:
        raise ServiceError(
            _("That period has not begun yet: choose one up to today."),
            field="month" if month else "start",
        )
    return period


def _month_of(text: str) -> Period:
    match = _MONTH.match(text)
    if match is None or not 2000 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
        raise ServiceError(_("Choose a month such as 2026-11."), field="month")
    return month_period(int(match[1]), int(match[2]))


def _day_of(text: str, name: str) -> date:
    if not _DAY.match(text):
        raise ServiceError(_("Enter a date such as 2026-11-01."), field=name)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ServiceError(_("Enter a date such as 2026-11-01."), field=name) from None
    if not 2000 <= day.year <= 2100:
        raise ServiceError(_("Enter a date such as 2026-11-01."), field=name)
    return day


@dataclass(frozen=True)
class Scope:
    """The stations counted, and those whose people the user may see by name."""

    station_ids: tuple[int, ...]
    serving_ids: frozenset[int]
    county: bool = False


EMPTY_SCOPE = Scope((), frozenset(), False)


def _has_role(user, *roles: str) -> bool:
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and hasattr(user, "has_role")
        and user.has_role(*roles)
    )


def station_scope(user: User) -> Scope:
    """A station's worker or admin: the stations they act on as their own (their station
    and its rooms), all by name. Anybody else: nothing."""
    if not _has_role(user, "social_worker", "station_admin"):
        return EMPTY_SCOPE
    ids = access.acting_station_ids(user)
    return Scope(tuple(sorted(ids)), frozenset(ids), False)


def county_scope(user: User) -> Scope:
    """The county supervisor: every station of their county; by name only the stations
    they also act on as staff (none for a pure supervisor). Anybody else: nothing."""
    if not _has_role(user, "county_supervisor"):
        return EMPTY_SCOPE
    ids = access.visible_station_ids(user)
    return Scope(tuple(sorted(ids)), frozenset(access.acting_station_ids(user)), True)


# --- the figures ---------------------------------------------------------------------------


@dataclass
class Served:
    """Person-times and hours of one slice (a category, station, village or month)."""

    person_times: int = 0
    hours: Decimal = Decimal("0")
    # group code -> person-times of records carrying that group (a record with two groups
    # counts under both; the total is not their sum)
    by_group: dict[str, int] = field(default_factory=dict)

    def add(self, person_times: int, hours: Decimal, by_group: dict[str, int]) -> None:
        self.person_times += person_times
        self.hours = (self.hours + hours).quantize(_HOURS)
        for code, value in by_group.items():
            self.by_group[code] = self.by_group.get(code, 0) + value


def _served() -> Served:
    return Served(0, Decimal("0.00"), dict.fromkeys(GROUP_BITS, 0))


@dataclass
class StationRow:
    station_id: int
    name: str
    served: Served
    by_category: dict[str, Served]
    by_source: dict[str, int]  # counting.SOURCES code -> person-times
    requests: int
    volunteers_active: int
    certified: int  # workers with a social-work certificate
    staff: int  # active social workers and admins
    coverage_share: float | None  # all special groups together; None: nobody in the ledger
    visits_done: int
    visits_overdue: int
    # added for the report's one row per station, by the same definitions as the total:
    # the station's own response times (one per urgency, crisis first; left empty unless
    # ``figures(..., station_timing=True)``, as they cost two more sorts) and satisfaction
    timing: list[Timing] = field(default_factory=list)
    satisfaction: Satisfaction | None = None
    wishes: WishFigures = field(default_factory=WishFigures)  # micro-wishes, resources linked


@dataclass
class VillageRow:
    station_id: int
    village_id: int | None  # None: no village known
    name: str
    served: Served


@dataclass
class Timing:
    """Response and completion for one urgency, in minutes."""

    urgency: str
    requests: int
    accept_median: float | None
    accept_p90: float | None
    finish_median: float | None
    finish_p90: float | None
    within_target: float | None  # share accepted within RESPONSE_TARGET_MINUTES


@dataclass
class Satisfaction:
    rated: int
    average: float | None
    share_4_5: float | None
    not_solved: int


@dataclass
class NotReached:
    """Someone of a special group with no service, visit or call this quarter."""

    beneficiary_id: int
    name: str | None  # None unless the user works at the serving station
    station_id: int
    village: str
    last_served: date | None
    gap_days: int | None  # since the last service; None: never served


@dataclass
class Coverage:
    group: str
    people: int
    reached: int
    share: float | None
    not_reached: list[NotReached]  # empty for stations the user does not serve


@dataclass
class Figures:
    scope: Scope
    period: Period
    total: Served
    by_category: dict[str, Served]  # counting.RECORD_CATEGORIES code -> slice
    stations: list[StationRow]
    villages: list[VillageRow]
    volunteers_active: int
    volunteers_new: int
    teams_active: int
    hours_per_volunteer: Decimal | None
    requests_received: int
    requests_by_channel: dict[str, int]
    requests_by_status: dict[str, int]
    timing: list[Timing]  # one per urgency, crisis first
    satisfaction: Satisfaction
    coverage_quarter: Period
    coverage: list[Coverage]  # one per special group
    visits_done: int
    visits_overdue: int
    # added: coverage of all special groups together over the scope (a person in two
    # groups counts once), as StationRow.coverage_share is for one station
    coverage_share: float | None = None
    wishes: WishFigures = field(default_factory=WishFigures)


@dataclass
class MonthTrend:
    """Person-times per month, for the charts: by category and by station."""

    months: list[str]  # "YYYY-MM", oldest first
    by_category: dict[str, list[int]]
    by_station: dict[int, list[int]]
    station_names: dict[int, str]


# --- SQL pieces ----------------------------------------------------------------------------


def _ids(scope: Scope) -> list[int]:
    return list(scope.station_ids) or [-1]


def _has_bit(column, bit: int) -> ColumnElement:
    return column.op("&")(bit) != 0


def _group_sums(value) -> list:
    """One SUM(CASE) column per special group: ``value`` of the rows carrying its bit."""
    return [
        func.sum(case((_has_bit(ServiceRecord.groups_mask, bit), value), else_=0)).label(
            f"g_{code}"
        )
        for code, bit in GROUP_BITS.items()
    ]


def _records_in(scope: Scope, period: Period) -> list[ColumnElement]:
    low, high = period.utc_bounds()
    return [
        ServiceRecord.station_id.in_(_ids(scope)),
        ServiceRecord.ended_at >= low,
        ServiceRecord.ended_at < high,
    ]


def _requests_in(scope: Scope, period: Period) -> list[ColumnElement]:
    low, high = period.utc_bounds()
    return [
        HelpRequest.station_id.in_(_ids(scope)),
        HelpRequest.created_at >= low,
        HelpRequest.created_at < high,
        HelpRequest.merged_into_id.is_(None),
    ]


def _seconds_between(later, earlier) -> ColumnElement:
    """Whole seconds from ``earlier`` to ``later``, as an integer on either database (a
    narrow sort key: the percentiles sort the period's requests by it)."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Integer)
    # SQLite: Julian days are doubles; rounded to the second they are exact
    return cast(func.round((func.julianday(later) - func.julianday(earlier)) * 86400), Integer)


def _hours(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(_HOURS)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _minutes(seconds) -> float | None:
    return None if seconds is None else round(int(seconds) / 60, 1)


# --- services ------------------------------------------------------------------------------


@dataclass
class _ServiceTotals:
    total: Served
    by_category: dict[str, Served]
    stations: dict[int, tuple[Served, dict[str, Served], dict[str, int], list[int]]]
    villages: dict[tuple[int, int | None], Served]
    volunteer_hours: Decimal


def _services(scope: Scope, period: Period) -> _ServiceTotals:
    """One grouped query: person-times, hours and group cells by station × village ×
    category × source; the few result rows are added up into every slice."""
    volunteer_hours = func.sum(
        case((ServiceRecord.volunteer_id.is_not(None), ServiceRecord.hours), else_=0)
    )
    rows = db.session.execute(
        select(
            ServiceRecord.station_id,
            ServiceRecord.village_id,
            ServiceRecord.category,
            ServiceRecord.source,
            func.sum(ServiceRecord.person_times),
            func.sum(ServiceRecord.hours),
            func.count(),
            volunteer_hours,
            *_group_sums(ServiceRecord.person_times),
        )
        .where(*_records_in(scope, period))
        .group_by(
            ServiceRecord.station_id,
            ServiceRecord.village_id,
            ServiceRecord.category,
            ServiceRecord.source,
        )
    ).all()
    totals = _ServiceTotals(
        _served(), {code: _served() for code in RECORD_CATEGORIES}, {}, {}, Decimal("0.00")
    )
    for station_id, village_id, category, source, times, hours, count, v_hours, *groups in rows:
        times, hours = int(times or 0), _hours(hours)
        by_group = {code: int(v or 0) for code, v in zip(GROUP_BITS, groups, strict=True)}
        totals.total.add(times, hours, by_group)
        totals.by_category.setdefault(category, _served()).add(times, hours, by_group)
        served, by_category, by_source, visits = totals.stations.setdefault(
            station_id, (_served(), {code: _served() for code in RECORD_CATEGORIES}, {}, [0])
        )
        served.add(times, hours, by_group)
        by_category.setdefault(category, _served()).add(times, hours, by_group)
        by_source[source] = by_source.get(source, 0) + times
        if source == "visit":
            visits[0] += int(count)
        totals.villages.setdefault((station_id, village_id), _served()).add(times, hours, by_group)
        totals.volunteer_hours = (totals.volunteer_hours + _hours(v_hours)).quantize(_HOURS)
    return totals


def _volunteers(scope: Scope, period: Period) -> tuple[dict[int, int], int, int]:
    """Distinct volunteers per station, and distinct volunteers and teams over the scope
    (a volunteer serving two stations counts once in the total), in one statement: on
    PostgreSQL one pass with GROUPING SETS, on SQLite a UNION ALL of the two counts."""
    where = _records_in(scope, period)
    volunteers = func.count(distinct(ServiceRecord.volunteer_id))
    teams = func.count(distinct(ServiceRecord.team_id))
    if db.engine.dialect.name == "postgresql":
        query = (
            select(
                func.grouping(ServiceRecord.station_id), ServiceRecord.station_id, volunteers, teams
            )
            .where(*where)
            .group_by(func.grouping_sets(ServiceRecord.station_id, tuple_()))
        )
    else:
        query = union_all(
            select(literal(0), ServiceRecord.station_id, volunteers, teams)
            .where(*where)
            .group_by(ServiceRecord.station_id),
            select(literal(1), literal(None), volunteers, teams).where(*where),
        )
    per_station, total_volunteers, total_teams = {}, 0, 0
    for is_total, station_id, volunteer_count, team_count in db.session.execute(query).all():
        if is_total:
            total_volunteers, total_teams = int(volunteer_count or 0), int(team_count or 0)
        else:
            per_station[station_id] = int(volunteer_count or 0)
    return per_station, total_volunteers, total_teams


def _volunteers_new(scope: Scope, period: Period) -> int:
    low, high = period.utc_bounds()
    return int(
        db.session.scalar(
            select(func.count()).where(
                VolunteerProfile.station_id.in_(_ids(scope)),
                VolunteerProfile.approved_at >= low,
                VolunteerProfile.approved_at < high,
            )
        )
        or 0
    )


# --- requests ------------------------------------------------------------------------------


def _within_target() -> ColumnElement:
    """1 for a request accepted within its urgency's response target, else 0."""
    waited = _seconds_between(HelpRequest.accepted_at, HelpRequest.created_at)
    targets = [
        (HelpRequest.urgency == urgency, 60 * deadlines.target_minutes(urgency))
        for urgency in URGENCY_ORDER
    ]
    target = case(*targets, else_=60 * deadlines.target_minutes("normal"))
    return case((and_(HelpRequest.accepted_at.is_not(None), waited <= target), 1), else_=0)


@dataclass
class _RequestTotals:
    received: int
    by_channel: dict[str, int]
    by_status: dict[str, int]
    by_station: dict[int, int]
    # (station id, or None for the whole scope; urgency) -> requests, accepted, within
    by_urgency: dict[tuple[int | None, str], tuple[int, int, int]]


def _requests(scope: Scope, period: Period) -> _RequestTotals:
    rows = db.session.execute(
        select(
            HelpRequest.station_id,
            HelpRequest.channel,
            HelpRequest.status,
            HelpRequest.urgency,
            func.count(),
            func.count(HelpRequest.accepted_at),
            func.sum(_within_target()),
        )
        .where(*_requests_in(scope, period))
        .group_by(
            HelpRequest.station_id, HelpRequest.channel, HelpRequest.status, HelpRequest.urgency
        )
    ).all()
    totals = _RequestTotals(0, dict.fromkeys(CHANNELS, 0), dict.fromkeys(STATUSES, 0), {}, {})
    for station_id, channel, status, urgency, count, accepted, within in rows:
        count, accepted, within = int(count), int(accepted or 0), int(within or 0)
        totals.received += count
        totals.by_channel[channel] = totals.by_channel.get(channel, 0) + count
        totals.by_status[status] = totals.by_status.get(status, 0) + count
        totals.by_station[station_id] = totals.by_station.get(station_id, 0) + count
        for key in ((None, urgency), (station_id, urgency)):
            before = totals.by_urgency.get(key, (0, 0, 0))
            totals.by_urgency[key] = (before[0] + count, before[1] + accepted, before[2] + within)
    return totals


def _percentiles(scope: Scope, period: Period, by_station: bool) -> dict[tuple, tuple]:
    """(station id or None for the scope, measure, urgency) -> (median, p90), nearest
    rank, in one query reading the period's requests once: each measure's values (of
    the requests that got that far) are numbered per urgency (and, ``by_station``, per
    station and urgency) by window functions and the ⌈n/2⌉-th and ⌈9n/10⌉-th are kept
    (integer arithmetic, the same on both databases)."""
    finished = case(
        (HelpRequest.done_at.is_not(None), HelpRequest.done_at),
        (HelpRequest.status == "closed", HelpRequest.closed_at),
        else_=None,
    )
    values = (
        select(
            HelpRequest.station_id.label("station_id"),
            HelpRequest.urgency.label("urgency"),
            _seconds_between(HelpRequest.accepted_at, HelpRequest.created_at).label("accept"),
            _seconds_between(finished, HelpRequest.created_at).label("finish"),
        )
        .where(*_requests_in(scope, period))
        .cte("timings")
        .prefix_with("MATERIALIZED", dialect="postgresql")  # narrow rows to sort
    )
    levels = {"scope": (values.c.urgency,)}
    if by_station:
        levels["station"] = (values.c.station_id, values.c.urgency)
    passes = []
    for name in ("accept", "finish"):
        value = values.c[name]
        for level, partition in levels.items():
            numbered = (
                select(
                    values.c.station_id,
                    values.c.urgency,
                    value.label("value"),
                    func.row_number().over(partition_by=partition, order_by=value).label("rank"),
                    func.count().over(partition_by=partition).label("n"),
                ).where(value.is_not(None))  # only the requests that got that far
            ).subquery()
            passes.append(
                select(
                    literal(name).label("measure"),
                    literal(level).label("level"),
                    numbered.c.station_id,
                    numbered.c.urgency,
                    numbered.c.value,
                    numbered.c.rank,
                    numbered.c.n,
                ).where(
                    (numbered.c.rank == (numbered.c.n + 1) // 2)
                    | (numbered.c.rank == (9 * numbered.c.n + 9) // 10),
                )
            )
    found: dict[tuple, list] = {}
    for name, level, station_id, urgency, value, rank, n in db.session.execute(
        union_all(*passes)
    ).all():
        key = (None if level == "scope" else station_id, name, urgency)
        slot = found.setdefault(key, [None, None])
        if rank == (n + 1) // 2:
            slot[0] = _minutes(value)
        if rank == (9 * n + 9) // 10:
            slot[1] = _minutes(value)
    return {key: tuple(value) for key, value in found.items()}


def _timing(requests: _RequestTotals, percentiles: dict, station_id: int | None) -> list[Timing]:
    """One per urgency, crisis first: of the scope (``station_id`` None) or one station."""
    timing = []
    for urgency in URGENCY_ORDER:
        count, accepted, within = requests.by_urgency.get((station_id, urgency), (0, 0, 0))
        accept = percentiles.get((station_id, "accept", urgency), (None, None))
        finish = percentiles.get((station_id, "finish", urgency), (None, None))
        timing.append(
            Timing(
                urgency, count, accept[0], accept[1], finish[0], finish[1], _share(within, accepted)
            )
        )
    return timing


def _satisfaction(scope: Scope, period: Period) -> dict[int | None, Satisfaction]:
    """Ratings given in the period and reopenings ("not solved"), per station (None: the
    whole scope), in one query over the
    period's timeline events of those kinds; each event looks its request up by primary
    key (a correlated lookup, so the planner never scans every request to join them).
    Fast with an index on request_event (action, at), which the schema lacks."""
    low, high = period.utc_bounds()

    def of_request(column):
        return select(column).where(HelpRequest.id == RequestEvent.request_id).scalar_subquery()

    events = (
        select(
            RequestEvent.action.label("action"),
            of_request(HelpRequest.station_id).label("station_id"),
            of_request(HelpRequest.rating).label("rating"),
        )
        .where(
            RequestEvent.action.in_(("rated", "reopen")),
            RequestEvent.at >= low,
            RequestEvent.at < high,
        )
        .cte("events")
        .prefix_with("MATERIALIZED", dialect="postgresql")  # each lookup made once
    )
    rated = and_(events.c.action == "rated", events.c.rating.is_not(None))
    rows = db.session.execute(
        select(
            events.c.station_id,
            func.sum(case((rated, 1), else_=0)),
            func.sum(case((rated, events.c.rating), else_=0)),
            func.sum(case((and_(rated, events.c.rating >= 4), 1), else_=0)),
            func.sum(case((events.c.action == "reopen", 1), else_=0)),
        )
        .where(events.c.station_id.in_(_ids(scope)))
        .group_by(events.c.station_id)
    ).all()
    sums: dict[int | None, list[int]] = {None: [0, 0, 0, 0]}
    for station_id, *values in rows:
        cells = [int(value or 0) for value in values]
        sums[station_id] = cells
        sums[None] = [total + cell for total, cell in zip(sums[None], cells, strict=True)]
    return {key: _satisfied(*cells) for key, cells in sums.items()}


def _satisfied(count: int, stars: int, high_marks: int, reopened: int) -> Satisfaction:
    average = round(stars / count, 2) if count else None
    return Satisfaction(count, average, _share(high_marks, count), reopened)


# --- the ledger: coverage and visits -------------------------------------------------------


def _reached_in(quarter: Period) -> ColumnElement:
    """The ledger person has a service record ended in ``quarter`` (index on
    service_record(beneficiary_id, ended_at))."""
    low, high = quarter.utc_bounds()
    return exists().where(
        ServiceRecord.beneficiary_id == Beneficiary.id,
        ServiceRecord.ended_at >= low,
        ServiceRecord.ended_at < high,
    )


@dataclass
class _LedgerTotals:
    people: dict[str, int]
    reached: dict[str, int]
    stations: dict[int, tuple[int, int, int]]  # people in a group, reached, visits overdue


def _ledger(scope: Scope, quarter: Period, today: date) -> _LedgerTotals:
    """People in each group and reached this quarter, per station, and visits overdue:
    one query over the ledger, grouped by station, group bits, reached and overdue (each
    person's "reached" is asked once); the few result rows are added up per group."""
    people = (
        select(
            Beneficiary.station_id.label("station_id"),
            Beneficiary.groups_mask.label("mask"),
            # only people of a special group are asked (CASE stops at the first branch)
            case((Beneficiary.groups_mask == 0, 0), (_reached_in(quarter), 1), else_=0).label(
                "reached"
            ),
            case((Beneficiary.next_visit_due < today, 1), else_=0).label("overdue"),
        )
        .where(Beneficiary.station_id.in_(_ids(scope)))
        .subquery()
    )
    rows = db.session.execute(
        select(
            people.c.station_id, people.c.mask, people.c.reached, people.c.overdue, func.count()
        ).group_by(people.c.station_id, people.c.mask, people.c.reached, people.c.overdue)
    ).all()
    totals = _LedgerTotals(dict.fromkeys(GROUP_BITS, 0), dict.fromkeys(GROUP_BITS, 0), {})
    for station_id, mask, reached, overdue, count in rows:
        in_groups, reached_any, late = totals.stations.get(station_id, (0, 0, 0))
        if mask:
            in_groups += count
            reached_any += count * reached
        totals.stations[station_id] = (in_groups, reached_any, late + count * overdue)
        for code, bit in GROUP_BITS.items():
            if mask & bit:
                totals.people[code] += count
                totals.reached[code] += count * reached
    return totals


def not_reached(scope: Scope, quarter: Period) -> dict[str, list[NotReached]]:
    """The people not reached in ``quarter`` (as of today), by group: see ``_not_reached``."""
    return _not_reached(scope, quarter, wording.local_today())


def _not_reached(scope: Scope, quarter: Period, today: date) -> dict[str, list[NotReached]]:
    """The people of the serving stations' ledgers in a special group with no record in
    ``quarter``, each under every group they belong to: never served first, then the
    longest gap. The gap runs to the quarter's end, or to today while it runs."""
    serving = sorted(set(scope.station_ids) & scope.serving_ids)
    found: dict[str, list[NotReached]] = {code: [] for code in GROUP_BITS}
    if not serving:
        return found
    low, high = quarter.utc_bounds()
    last = (
        select(func.max(ServiceRecord.ended_at))
        .where(ServiceRecord.beneficiary_id == Beneficiary.id, ServiceRecord.ended_at < high)
        .scalar_subquery()
        .label("last")
    )
    rows = db.session.execute(
        select(
            Beneficiary.id,
            Beneficiary.name,
            Beneficiary.station_id,
            Beneficiary.groups_mask,
            Region.name,
            last,
        )
        .outerjoin(Region, Region.id == Beneficiary.village_id)
        .where(
            Beneficiary.station_id.in_(serving),
            Beneficiary.groups_mask != 0,
            ~_reached_in(quarter),
        )
    ).all()
    until = min(today, quarter.end)
    people = []
    for person_id, name, station_id, mask, village, last_at in rows:
        last_day = wording.local_date(last_at) if last_at is not None else None
        gap = (until - last_day).days if last_day is not None else None
        people.append((mask, NotReached(person_id, name, station_id, village or "", last_day, gap)))
    people.sort(key=lambda item: (item[1].last_served or date.min, item[1].beneficiary_id))
    for mask, person in people:
        for code, bit in GROUP_BITS.items():
            if mask & bit:
                found[code].append(person)
    return found


# --- stations and villages -----------------------------------------------------------------


def _station_names(scope: Scope) -> dict[int, str]:
    """The scope's stations by name, in the order of the station tree: each station
    followed by its rooms (siblings by id)."""
    rows = db.session.execute(
        select(Station.id, Station.name, Station.parent_id)
        .where(Station.id.in_(_ids(scope)))
        .order_by(Station.id)
    ).all()
    names = {station_id: name for station_id, name, _parent in rows}
    children: dict[int | None, list[int]] = {}
    for station_id, _name, parent_id in rows:
        children.setdefault(parent_id if parent_id in names else None, []).append(station_id)
    ordered: dict[int, str] = {}
    stack = list(reversed(children.get(None, [])))
    while stack:
        station_id = stack.pop()
        ordered[station_id] = names[station_id]
        stack.extend(reversed(children.get(station_id, [])))
    return ordered


def _village_rows(
    villages: dict[tuple[int, int | None], Served], station_order: list[int]
) -> list[VillageRow]:
    village_ids = sorted({village for _station, village in villages if village is not None})
    names = dict(
        db.session.execute(select(Region.id, Region.name).where(Region.id.in_(village_ids))).all()
        if village_ids
        else []
    )
    unknown = _("Village not known")
    rows = [
        VillageRow(station_id, village_id, names.get(village_id, unknown), served)
        for (station_id, village_id), served in villages.items()
    ]
    place = {station_id: index for index, station_id in enumerate(station_order)}
    rows.sort(key=lambda row: (place[row.station_id], row.village_id is None, row.village_id or 0))
    return rows


# --- all of it -----------------------------------------------------------------------------


def figures(scope: Scope, period: Period, *, station_timing: bool = False) -> Figures:
    """Every figure of ``scope`` over ``period`` (definitions: this module's docstring),
    from a dozen aggregate queries whatever the number of rows. ``station_timing``: also
    each station's response times (``StationRow.timing``; the monthly report's rows)."""
    today = wording.local_today()
    quarter = quarter_of(period.end)
    services = _services(scope, period)
    per_station_volunteers, volunteers, teams = _volunteers(scope, period)
    requests = _requests(scope, period)
    ledger = _ledger(scope, quarter, today)
    certified = certified_by_station(scope.station_ids)
    not_reached = _not_reached(scope, quarter, today)
    percentiles = _percentiles(scope, period, station_timing)
    satisfaction = _satisfaction(scope, period)
    wish_rows = wish_stats.by_station(scope, period)

    names = _station_names(scope)
    stations = []
    for station_id, name in names.items():
        served, by_category, by_source, visits = services.stations.get(
            station_id, (_served(), {code: _served() for code in RECORD_CATEGORIES}, {}, [0])
        )
        people, reached, overdue = ledger.stations.get(station_id, (0, 0, 0))
        done, staff = certified.get(station_id, (0, 0))
        stations.append(
            StationRow(
                station_id=station_id,
                name=name,
                served=served,
                by_category=by_category,
                by_source=by_source,
                requests=requests.by_station.get(station_id, 0),
                volunteers_active=int(per_station_volunteers.get(station_id, 0)),
                certified=done,
                staff=staff,
                coverage_share=_share(reached, people),
                visits_done=visits[0],
                visits_overdue=overdue,
                timing=_timing(requests, percentiles, station_id) if station_timing else [],
                satisfaction=satisfaction.get(station_id, _satisfied(0, 0, 0, 0)),
                wishes=wish_rows.get(station_id, WishFigures()),
            )
        )
    hours_per_volunteer = (
        (services.volunteer_hours / volunteers).quantize(_HOURS, ROUND_HALF_UP)
        if volunteers
        else None
    )
    return Figures(
        scope=scope,
        period=period,
        total=services.total,
        by_category=services.by_category,
        stations=stations,
        villages=_village_rows(services.villages, list(names)),
        volunteers_active=volunteers,
        volunteers_new=_volunteers_new(scope, period),
        teams_active=teams,
        hours_per_volunteer=hours_per_volunteer,
        requests_received=requests.received,
        requests_by_channel=requests.by_channel,
        requests_by_status=requests.by_status,
        timing=_timing(requests, percentiles, None),
        satisfaction=satisfaction[None],
        coverage_quarter=quarter,
        coverage=[
            Coverage(
                group=code,
                people=ledger.people[code],
                reached=ledger.reached[code],
                share=_share(ledger.reached[code], ledger.people[code]),
                not_reached=not_reached[code],
            )
            for code in GROUP_BITS
        ],
        visits_done=sum(row.visits_done for row in stations),
        visits_overdue=sum(row.visits_overdue for row in stations),
        coverage_share=_share(
            sum(cells[1] for cells in ledger.stations.values()),
            sum(cells[0] for cells in ledger.stations.values()),
        ),
        wishes=wish_rows[None],
    )


def month_trend(scope: Scope, last_month: Period, months: int = 12) -> MonthTrend:
    """Person-times per local month, the ``months`` months ending with ``last_month``'s,
    by category and by station, in one statement: a grouped SELECT per month over its
    UTC bounds (a range on the ended_at index, the same on both databases), joined by
    UNION ALL. (A single CASE over the months' bounds reads the same rows but is a
    quarter slower on PostgreSQL: it evaluates the CASE per row and misjudges the
    groups.)"""
    if not 1 <= months <= 120:
        raise ValueError("months: 1 to 120")
    periods = months_before(last_month, months)
    labels = [f"{period.start:%Y-%m}" for period in periods]
    per_month = []
    for index, period in enumerate(periods):
        per_month.append(
            select(
                literal(index).label("bucket"),
                ServiceRecord.category,
                ServiceRecord.station_id,
                func.sum(ServiceRecord.person_times),
            )
            .where(*_records_in(scope, period))
            .group_by(ServiceRecord.category, ServiceRecord.station_id)
        )
    rows = db.session.execute(union_all(*per_month)).all()
    names = _station_names(scope)
    by_category = {code: [0] * months for code in RECORD_CATEGORIES}
    by_station = {station_id: [0] * months for station_id in names}
    for index, category, station_id, times in rows:
        by_category.setdefault(category, [0] * months)[index] += int(times or 0)
        by_station.setdefault(station_id, [0] * months)[index] += int(times or 0)
    return MonthTrend(labels, by_category, by_station, names)


# --- staff -------------------------------------------------------------------------------


def certified_by_station(station_ids) -> dict[int, tuple[int, int]]:
    """Per station: (active workers with a social-work certificate, active workers), where
    a worker is an active social worker or station admin based there. Stations with none
    are left out (read as (0, 0))."""
    staff = (
        select(User.id, User.station_id, User.certificate_level)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.active.is_(True),
            User.station_id.in_(list(station_ids) or [-1]),
            UserRole.role.in_(("social_worker", "station_admin")),
        )
        .distinct()
        .subquery()
    )
    certified = func.sum(case((staff.c.certificate_level.in_(CERTIFIED_LEVELS), 1), else_=0))
    rows = db.session.execute(
        select(staff.c.station_id, certified, func.count()).group_by(staff.c.station_id)
    ).all()
    return {station_id: (int(done or 0), int(total)) for station_id, done, total in rows}
