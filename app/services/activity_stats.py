"""Community activities in a station's month (issue 18): the figures the dashboards and the
monthly report show beside the services.

- **Activities held**: activities of the scope's stations closed with an end in the
  period (``Activity.ended_at``, stamped by the close with its records' ``ended_at``: an
  activity from 23:30 to 00:30 is held and counted in the same month). Cancelled ones
  are not held; upcoming ones not yet.
- **Person-times by kind**: SUM(``ServiceRecord.person_times``) of the records the
  activities' closes wrote (source ``activity``, counting.for_activity), by the
  activity's kind, ended in the period: the same rows the month's person-times count, so
  the two never disagree.
- **Volunteer hours**: SUM(``hours``) of those records that name a volunteer.

Aggregate SQL, one query for each; never a loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from app.extensions import db
from app.models import Activity, ServiceRecord
from app.models.vocab import ACTIVITY_KINDS, label
from app.services.spreadsheets import Table


@dataclass
class KindRow:
    kind: str
    held: int = 0
    person_times: int = 0
    volunteer_hours: Decimal = Decimal("0.00")


@dataclass
class ActivityFigures:
    held: int = 0
    person_times: int = 0
    volunteer_hours: Decimal = Decimal("0.00")
    by_kind: list[KindRow] = field(default_factory=list)


def figures(station_ids, period) -> ActivityFigures:
    """The activities of ``station_ids`` over ``period`` (a stats.Period)."""
    ids = list(station_ids) or [-1]
    low, high = period.utc_bounds()
    rows = {code: KindRow(code) for code in ACTIVITY_KINDS}
    held = db.session.execute(
        select(Activity.kind, func.count())
        .where(
            Activity.station_id.in_(ids),
            Activity.status == "closed",
            Activity.ended_at >= low,
            Activity.ended_at < high,
        )
        .group_by(Activity.kind)
    ).all()
    for kind, count in held:
        rows.setdefault(kind, KindRow(kind)).held = int(count)
    volunteer_hours = func.sum(
        case((ServiceRecord.volunteer_id.is_not(None), ServiceRecord.hours), else_=0)
    )
    served = db.session.execute(
        select(Activity.kind, func.sum(ServiceRecord.person_times), volunteer_hours)
        .join(Activity, Activity.id == ServiceRecord.activity_id)
        .where(
            ServiceRecord.source == "activity",
            ServiceRecord.station_id.in_(ids),
            ServiceRecord.ended_at >= low,
            ServiceRecord.ended_at < high,
        )
        .group_by(Activity.kind)
    ).all()
    for kind, times, hours in served:
        row = rows.setdefault(kind, KindRow(kind))
        row.person_times = int(times or 0)
        row.volunteer_hours = Decimal(hours or 0).quantize(Decimal("0.01"))
    kinds = [row for row in rows.values() if row.held or row.person_times or row.volunteer_hours]
    return ActivityFigures(
        held=sum(r.held for r in kinds),
        person_times=sum(r.person_times for r in kinds),
        volunteer_hours=sum((r.volunteer_hours for r in kinds), Decimal("0.00")),
        by_kind=kinds,
    )


def report_table(where: str, station_ids, period) -> Table:
    """The monthly report's sheet of activities, by kind, with a total row."""
    found = figures(station_ids, period)
    return Table(
        code="activities",
        sheet=_("Activities"),
        title=_(
            "%(where)s · %(period)s · %(what)s",
            where=where,
            period=period.label,
            what=_("Community activities"),
        ),
        headings=[
            _("Kind of activity"),
            _("Activities held"),
            _("Person-times"),
            _("Volunteer hours"),
        ],
        rows=[
            [label(ACTIVITY_KINDS, r.kind), r.held, r.person_times, r.volunteer_hours]
            for r in found.by_kind
        ],
        total=[_("Total"), found.held, found.person_times, found.volunteer_hours],
    )
