"""A station's month, counted: the one service that computes every figure the dashboards,
the exports and the tests show (issue 15). Aggregate SQL over service records, requests,
the ledger and staff; never a Python loop over rows. Scoped by ``Scope``: the stations
counted, and the stations whose people the user may see by name.

Figures are plain dataclasses so pages, spreadsheets and tests read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

# --- what is counted, and over which days ---------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local calendar days (LOCAL_TIMEZONE), ``start`` to ``end`` inclusive."""

    start: date
    end: date

    @property
    def is_month(self) -> bool:
        """The whole of one calendar month."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        """「2026年11月」 for a month, else 「2026-11-01 至 2026-11-15」."""
        raise NotImplementedError

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Naive UTC [from, to) covering the local days (how times are stored)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Scope:
    """The stations counted, and those whose people the user may see by name."""

    station_ids: tuple[int, ...]
    serving_ids: frozenset[int]
    county: bool = False


# --- the figures ---------------------------------------------------------------------------


@dataclass
class Served:
    """Person-times and hours of one slice (a category, station, village or month)."""

    person_times: int = 0
    hours: Decimal = Decimal("0")
    # group code -> person-times of records carrying that group (a record with two groups
    # counts under both; the total is not their sum)
    by_group: dict[str, int] = field(default_factory=dict)


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


@dataclass
class MonthTrend:
    """Person-times per month, for the charts: by category and by station."""

    months: list[str]  # "YYYY-MM", oldest first
    by_category: dict[str, list[int]]
    by_station: dict[int, list[int]]
    station_names: dict[int, str]


# --- staff -------------------------------------------------------------------------------


def certified_by_station(station_ids) -> dict[int, tuple[int, int]]:
    """Per station: (active workers with a social-work certificate, active workers), where
    a worker is an active social worker or station admin based there. Stations with none
    are left out (read as (0, 0))."""
    from sqlalchemy import case, func, select

    from app.extensions import db
    from app.models import User, UserRole
    from app.models.vocab import CERTIFIED_LEVELS

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
