"""The dashboards (issue 15 item 3): a station's and the county's figures over a month or
a range of days, as one page. Every number comes from ``stats.figures`` and
``stats.month_trend``, read through ``snapshots`` (kept for a couple of minutes at a
time, so a county's page is not counted at every view); this module only chooses the period, draws the charts
(``charts``), words the labels and writes the access-log line when names are shown.

A period that cannot be read (``stats.parse_period`` refuses it) is not an empty page:
the figures of the period shown before (the page the form was sent from) stay, with the
refusal under the form (status 400).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from urllib.parse import parse_qs, urlsplit

from flask_babel import gettext as _

from app.models import User
from app.models.vocab import (
    CERTIFIED_TARGET,
    CHANNELS,
    SERVICE_SOURCES,
    SPECIAL_GROUPS,
    STATUSES,
    URGENCIES,
    label,
)
from app.services import ServiceError, activity_stats, audit, charts, snapshots, stats
from app.services.counting import RECORD_CATEGORIES

NOT_REACHED_SHOWN = 50  # names listed per group; the count says how many more
PERIOD_FIELDS = ("month", "start", "end")


@dataclass
class Dashboard:
    county: bool
    figures: stats.Figures
    trend: stats.MonthTrend
    asked: dict[str, str]  # the form's values as typed
    error: ServiceError | None = None
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    counted_at: datetime | None = None  # naive UTC: when the figures were counted
    kept: bool = False  # from a snapshot kept for STATS_MAX_AGE_SECONDS (snapshots)
    max_age_minutes: int = 0
    version: str = ""  # the snapshot's version when kept

    @cached_property
    def charts(self) -> list[charts.ChartData]:
        """Drawn when the body is rendered (a body kept by the route needs none)."""
        return trend_charts(self.trend, multi_station=len(self.figures.scope.station_ids) > 1)

    @cached_property
    def activities(self) -> activity_stats.ActivityFigures:
        """Community activities held, person-times by kind, volunteer hours (issue 18)."""
        return activity_stats.figures(self.figures.scope.station_ids, self.period)

    @property
    def body_key(self) -> tuple | None:
        """What the page's body shows, as a key, when it depends on the snapshot alone:
        kept, no error, and no names of people not reached (those are read at each
        view). None: the body must be rendered for this view."""
        if not self.kept or not self.version or self.error:
            return None
        if any(coverage.not_reached for coverage in self.figures.coverage):
            return None
        return (self.version, self.county, tuple(sorted(self.figures.scope.serving_ids)))

    @property
    def period(self) -> stats.Period:
        return self.figures.period

    certified_target: int = CERTIFIED_TARGET
    names_limit: int = NOT_REACHED_SHOWN

    @property
    def by_source(self) -> dict[str, int]:
        """Person-times by kind of service (counting's sources), over every station."""
        found: dict[str, int] = {}
        for row in self.figures.stations:
            for code, times in row.by_source.items():
                found[code] = found.get(code, 0) + times
        return found


def choose_period(
    asked: dict[str, str], shown_before: str | None
) -> tuple[stats.Period, ServiceError | None]:
    """The period asked for; when it cannot be read, the one shown before (the query of
    the page the form was on, else the current month) and why."""
    try:
        return stats.parse_period(*(asked.get(name) for name in PERIOD_FIELDS)), None
    except ServiceError as error:
        return _period_of_url(shown_before), error


def _period_of_url(url: str | None) -> stats.Period:
    query = parse_qs(urlsplit(url or "").query)
    try:
        return stats.parse_period(*((query.get(name) or [""])[0] for name in PERIOD_FIELDS))
    except ServiceError:
        return stats.parse_period()


def build(
    user: User, scope: stats.Scope, args, *, county: bool, shown_before: str | None = None
) -> Dashboard:
    """The page of ``scope`` for the period in ``args`` (month, or start and end)."""
    asked = {name: str(args.get(name, ""))[:20] for name in PERIOD_FIELDS}
    period, error = choose_period(asked, shown_before)
    counted = snapshots.dashboard_figures(scope, period, fresh=bool(args.get("fresh")))
    page = Dashboard(
        county=county,
        figures=counted.figures,
        trend=counted.trend,
        asked=asked,
        error=error,
        labels=labels(),
        counted_at=counted.computed_at,
        kept=counted.kept,
        max_age_minutes=max(1, round(snapshots.max_age() / 60)),
        version=counted.version,
    )
    log_names_shown(user, counted.figures)
    return page


def labels() -> dict[str, dict[str, str]]:
    """Each vocabulary's codes with their translated labels, in their order."""
    vocabularies = {
        "categories": RECORD_CATEGORIES,
        "groups": SPECIAL_GROUPS,
        "channels": CHANNELS,
        "statuses": STATUSES,
        "urgencies": URGENCIES,
        "sources": SERVICE_SOURCES,
    }
    return {
        name: {code: label(vocabulary, code) for code in vocabulary}
        for name, vocabulary in vocabularies.items()
    }


def trend_charts(trend: stats.MonthTrend, *, multi_station: bool) -> list[charts.ChartData]:
    """Person-times per month by category, and (more than one station) by station."""
    empty = _("Nothing counted in these months.")
    drawn = [
        charts.stacked_months(
            _("Person-times per month, by category"),
            trend.months,
            [
                (label(RECORD_CATEGORIES, code), values)
                for code, values in trend.by_category.items()
            ],
            empty=empty,
            rest=_("Other categories"),
        )
    ]
    if multi_station:
        drawn.append(
            charts.stacked_months(
                _("Person-times per month, by station"),
                trend.months,
                [
                    (trend.station_names.get(station_id, str(station_id)), values)
                    for station_id, values in trend.by_station.items()
                ],
                empty=empty,
                rest=_("Other stations"),
            )
        )
    return drawn


def log_names_shown(user: User, figures: stats.Figures) -> None:
    """One access-log line per station whose people not reached are shown by name."""
    shown: dict[int, set[int]] = {}
    for coverage in figures.coverage:
        for person in coverage.not_reached[:NOT_REACHED_SHOWN]:
            if person.name is not None and person.station_id in figures.scope.serving_ids:
                shown.setdefault(person.station_id, set()).add(person.beneficiary_id)
    for station_id, people in sorted(shown.items()):
        audit.log_access(
            user,
            "view_stats",
            "station",
            station_id,
            station_id,
            people=len(people),
            period=f"{figures.period.start.isoformat()}/{figures.period.end.isoformat()}",
        )
