"""The monthly report to civil affairs 民政局 (issue 15): the month's figures as tables.

Every number comes from ``stats.figures`` (numbers that agree: the report counts nothing
itself). One ``figures(..., station_timing=True)`` call gives each station's row (its
counts, response times and satisfaction) and the totals.

Sheets: 「各站汇总」, one row per station and a totals row; one sheet per station with its
villages; 「特殊群体覆盖」 per special group. The same tables are the CSV files
(``table=stations|villages|coverage``). No names of people appear: the report is counts.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from app.models.vocab import GROUP_BITS, SPECIAL_GROUPS, URGENCIES, label
from app.services import counting, stats
from app.services.spreadsheets import Table
from app.services.wish_stats import WishFigures

TABLES = ("stations", "villages", "coverage")
URGENCY_ORDER = ("crisis", "urgent", "normal")


def percent(share: float | None) -> float | None:
    """A share 0–1 as a percentage with one decimal (the headings say "%")."""
    return None if share is None else round(share * 100, 1)


def minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _groups() -> list[str]:
    return list(GROUP_BITS)


def station_headings() -> list[str]:
    headings = [_("Station"), _("Person-times"), _("Hours of service")]
    headings += [
        _("%(name)s (person-times)", name=label(counting.RECORD_CATEGORIES, code))
        for code in counting.RECORD_CATEGORIES
    ]
    headings += [
        _("%(name)s (person-times)", name=label(SPECIAL_GROUPS, code)) for code in _groups()
    ]
    headings += [_("Volunteers active"), _("Requests received")]
    for urgency in URGENCY_ORDER:
        name = label(URGENCIES, urgency)
        headings += [
            _("%(urgency)s: accept median (minutes)", urgency=name),
            _("%(urgency)s: accept 90th percentile (minutes)", urgency=name),
            _("%(urgency)s: finish median (minutes)", urgency=name),
            _("%(urgency)s: finish 90th percentile (minutes)", urgency=name),
            _("%(urgency)s: accepted within target (percent)", urgency=name),
        ]
    headings += [
        _("Ratings"),
        _("Average stars"),
        _("Rated 4–5 (percent)"),
        _("Not solved"),
        _("Special groups reached this quarter (percent)"),
        _("Home visits done"),
        _("Home visits overdue"),
        _("Certified social workers"),
        _("Staff"),
        *wish_headings(),
    ]
    return headings


def wish_headings() -> list[str]:
    """Micro-wishes and resources linked 链接资源 (app/services/wish_stats.py)."""
    return [
        _("Wishes collected"),
        _("Wishes published"),
        _("Wishes claimed"),
        _("Wishes fulfilled"),
        _("Resources linked (yuan)"),
    ]


def wish_cells(wishes: WishFigures) -> list:
    return [
        wishes.collected,
        wishes.published,
        wishes.claimed,
        wishes.fulfilled,
        wishes.resources_yuan,
    ]


def _served_cells(served: stats.Served, by_category: dict[str, stats.Served]) -> list:
    cells = [served.person_times, Decimal(served.hours)]
    cells += [
        (by_category.get(code) or stats.Served()).person_times
        for code in counting.RECORD_CATEGORIES
    ]
    cells += [served.by_group.get(code, 0) for code in _groups()]
    return cells


def _timing_cells(timing: list[stats.Timing]) -> list:
    by_urgency = {row.urgency: row for row in timing}
    cells = []
    for urgency in URGENCY_ORDER:
        row = by_urgency.get(urgency)
        if row is None:
            cells += [None] * 5
            continue
        cells += [
            minutes(row.accept_median),
            minutes(row.accept_p90),
            minutes(row.finish_median),
            minutes(row.finish_p90),
            percent(row.within_target),
        ]
    return cells


def _satisfaction_cells(satisfaction: stats.Satisfaction) -> list:
    return [
        satisfaction.rated,
        satisfaction.average,
        percent(satisfaction.share_4_5),
        satisfaction.not_solved,
    ]


def station_row(row: stats.StationRow) -> list:
    """One station's line: its counts, response times and satisfaction (the figures were
    computed with ``station_timing``)."""
    return [
        row.name,
        *_served_cells(row.served, row.by_category),
        row.volunteers_active,
        row.requests,
        *_timing_cells(row.timing),
        *_satisfaction_cells(row.satisfaction),
        percent(row.coverage_share),
        row.visits_done,
        row.visits_overdue,
        row.certified,
        row.staff,
        *wish_cells(row.wishes),
    ]


def total_row(figures: stats.Figures) -> list:
    """The totals line: the scope's own figures (distinct volunteers, not a sum of rows).
    Coverage is left empty here (a person in two groups would be counted twice): the
    coverage sheet gives it per group."""
    return [
        _("Total"),
        *_served_cells(figures.total, figures.by_category),
        figures.volunteers_active,
        figures.requests_received,
        *_timing_cells(figures.timing),
        *_satisfaction_cells(figures.satisfaction),
        None,
        figures.visits_done,
        figures.visits_overdue,
        sum(row.certified for row in figures.stations),
        sum(row.staff for row in figures.stations),
        *wish_cells(figures.wishes),
    ]


def title(where: str, figures: stats.Figures, what: str) -> str:
    return _(
        "%(where)s · %(period)s · %(what)s", where=where, period=figures.period.label, what=what
    )


def stations_table(where: str, figures: stats.Figures, rows: list[list]) -> Table:
    return Table(
        code="stations",
        sheet=_("All stations"),
        title=title(where, figures, _("Monthly report of social work services")),
        headings=station_headings(),
        rows=rows,
        total=total_row(figures),
    )


def village_headings(with_station: bool) -> list[str]:
    headings = [_("Station")] if with_station else []
    headings += [_("Village or community"), _("Person-times"), _("Hours of service")]
    headings += [
        _("%(name)s (person-times)", name=label(SPECIAL_GROUPS, code)) for code in _groups()
    ]
    return headings


def _village_cells(name: str, served: stats.Served) -> list:
    return [
        name,
        served.person_times,
        Decimal(served.hours),
        *[served.by_group.get(code, 0) for code in _groups()],
    ]


def _village_or_unknown(row: stats.VillageRow) -> str:
    return row.name or _("Village not known")


def station_village_tables(figures: stats.Figures) -> list[Table]:
    """One table per station: its villages, and the station's total."""
    tables = []
    for station in figures.stations:
        villages = [row for row in figures.villages if row.station_id == station.station_id]
        tables.append(
            Table(
                code=f"villages-{station.station_id}",
                sheet=station.name,
                title=title(station.name, figures, _("Services by village")),
                headings=village_headings(with_station=False),
                rows=[_village_cells(_village_or_unknown(row), row.served) for row in villages],
                total=_village_cells(_("Total"), station.served),
            )
        )
    return tables


def villages_table(where: str, figures: stats.Figures) -> Table:
    """Every station's villages in one table (the CSV of ``table=villages``)."""
    names = {row.station_id: row.name for row in figures.stations}
    return Table(
        code="villages",
        sheet=_("Villages"),
        title=title(where, figures, _("Services by village")),
        headings=village_headings(with_station=True),
        rows=[
            [names.get(row.station_id, ""), *_village_cells(_village_or_unknown(row), row.served)]
            for row in figures.villages
        ],
    )


def coverage_table(where: str, figures: stats.Figures) -> Table:
    quarter = figures.coverage_quarter
    return Table(
        code="coverage",
        sheet=_("Coverage"),
        title=_(
            "%(where)s · %(start)s to %(end)s · %(what)s",
            where=where,
            start=quarter.start.isoformat(),
            end=quarter.end.isoformat(),
            what=_("Special groups reached this quarter"),
        ),
        headings=[
            _("Special group"),
            _("People in the ledger"),
            _("Reached this quarter"),
            _("Reached (percent)"),
        ],
        rows=[
            [label(SPECIAL_GROUPS, row.group), row.people, row.reached, percent(row.share)]
            for row in figures.coverage
        ],
    )
