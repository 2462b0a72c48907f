"""Exports a worker takes away: the monthly report, the service records, volunteer hours.

One ``Export`` (what, which format, whose scope, which days) is built by ``build_steps``,
the same way whether the web request answers at once or ``flask worker`` builds it as a
job (app/services/export_jobs.py): the file is the same. Building yields a progress
percentage after each piece (a station's figures, a batch of rows), so the job can commit
its progress between pieces; rows are read in keyset batches, never all at once.

Privacy (DESIGN.md): the stations are the user's scope (``stats.station_scope`` /
``stats.county_scope``, as on the dashboard); names and phones of volunteers, workers and
the people served are left empty unless the user works at the serving station
(``scope.serving_ids``); text never runs as a formula (``spreadsheets.safe_text``); every
export is written to the access log with what and which days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Beneficiary, HelpRequest, Region, ServiceRecord, Station, Team, User
from app.models.vocab import SERVICE_SOURCES, SPECIAL_GROUPS
from app.services import ServiceError, access, activity_stats, audit, counting, reports, stats
from app.services.spreadsheets import CsvWriter, XlsxWriter, table_csv, tables_xlsx
from app.services.wording import local_date, phone_display

KINDS = ("report", "records", "hours")
FORMATS = ("csv", "xlsx")
SCOPES = ("station", "county")


@dataclass(frozen=True)
class Export:
    """What was asked for: ``kind`` of ``scope`` over the local days ``start``–``end``."""

    kind: str
    file_format: str
    scope: str
    start: date
    end: date
    table: str = ""  # the report's CSV: one of reports.TABLES

    @property
    def period(self) -> stats.Period:
        return stats.Period(self.start, self.end)

    def params(self) -> dict:
        values = asdict(self)
        values.update(start=self.start.isoformat(), end=self.end.isoformat())
        return values

    @classmethod
    def of_params(cls, values: dict) -> Export:
        return cls(
            kind=values["kind"],
            file_format=values["file_format"],
            scope=values["scope"],
            start=date.fromisoformat(values["start"]),
            end=date.fromisoformat(values["end"]),
            table=values.get("table", ""),
        )

    @property
    def filename(self) -> str:
        days = self.period.month_param or f"{self.start}_{self.end}"
        table = f"-{self.table}" if self.kind == "report" and self.file_format == "csv" else ""
        return f"linli-{self.kind}-{self.scope}-{days}{table}.{self.file_format}"


@dataclass
class File:
    filename: str
    content_type: str
    content: bytes


def ask(kind: str, file_format: str, scope: str, period: stats.Period, table: str = "") -> Export:
    """An export from what a page asked for; ServiceError for anything unknown."""
    if kind not in KINDS or scope not in SCOPES:
        raise ServiceError(_("There is no such export."))
    if file_format not in FORMATS:
        raise ServiceError(_("Choose CSV or XLSX."), field="format")
    if kind == "report" and file_format == "csv" and table not in reports.TABLES:
        raise ServiceError(_("Choose a table of the report."), field="table")
    return Export(
        kind, file_format, scope, period.start, period.end, table if kind == "report" else ""
    )


def scope_of(user: User, export: Export) -> stats.Scope:
    """The user's scope for this export, as the dashboard's: nothing for anyone else."""
    if export.scope == "county":
        return stats.county_scope(user)
    return stats.station_scope(user)


def estimated_rows(scope: stats.Scope, period: stats.Period) -> int:
    """The service records an export of ``scope`` over ``period`` reads."""
    return int(db.session.scalar(select(func.count()).where(*_records_in(scope, period))) or 0)


def answers_at_once(export: Export, scope: stats.Scope) -> bool:
    """The rule: the monthly report and volunteer hours are answered at once (aggregate
    queries: a row per station or per volunteer, whatever the number of records); service
    records go to the worker when there are more than EXPORT_DIRECT_MAX_ROWS (10,000) of
    them (an XLSX of 20,000 records took 4.5 s to write here). ServiceError past
    EXPORT_MAX_ROWS."""
    if export.kind != "records":
        return True
    rows = estimated_rows(scope, export.period)
    _not_too_large(rows)
    return rows <= int(current_app.config.get("EXPORT_DIRECT_MAX_ROWS", 10000))


def _not_too_large(rows: int) -> None:
    """No file of more than EXPORT_MAX_ROWS (500,000) records: a spreadsheet would not
    open it, and the worker would hold it all (ServiceError: choose fewer days)."""
    limit = int(current_app.config.get("EXPORT_MAX_ROWS", 500000))
    if rows > limit:
        raise ServiceError(
            _(
                "This export would hold %(rows)s service records, more than %(limit)s: "
                "choose fewer days.",
                rows=rows,
                limit=limit,
            ),
            field="end",
        )


class Builder:
    """Builds one export for ``user``: iterate ``steps()`` (each yields a percentage),
    then read ``file``. The last step writes the access-log line."""

    def __init__(self, user: User, export: Export, job_id: int | None = None) -> None:
        self.user, self.export, self.job_id = user, export, job_id
        self.file: File | None = None
        self.rows = 0

    def steps(self) -> Iterator[int]:
        with force_locale("zh"):  # Chinese headings, whoever asked and wherever it is built
            scope = scope_of(self.user, self.export)
            if not scope.station_ids:
                raise ServiceError(_("There is no such export."))
            build = {"report": self._report, "records": self._records, "hours": self._hours}
            content = yield from build[self.export.kind](scope)
            writer = XlsxWriter if self.export.file_format == "xlsx" else CsvWriter
            self.file = File(self.export.filename, writer.content_type, content)
            self._log(scope)
        yield 100

    # --- the monthly report ----------------------------------------------------------

    def _report(self, scope: stats.Scope) -> Iterator[int]:
        figures = stats.figures(scope, self.export.period, station_timing=True)
        yield 80
        where = _where(self.user, scope)
        table = self.export.table if self.export.file_format == "csv" else ""
        if table in ("villages", "coverage"):
            chosen = reports.villages_table if table == "villages" else reports.coverage_table
            self.rows = len(figures.villages if table == "villages" else figures.coverage)
            return table_csv(chosen(where, figures))
        rows = [reports.station_row(row) for row in figures.stations]
        self.rows = len(rows)
        stations = reports.stations_table(where, figures, rows)
        if table == "stations":
            return table_csv(stations)
        return tables_xlsx(
            [
                stations,
                *reports.station_village_tables(figures),
                reports.coverage_table(where, figures),
                activity_stats.report_table(where, scope.station_ids, self.export.period),
            ]
        )

    # --- service records -------------------------------------------------------------

    def _records(self, scope: stats.Scope) -> Iterator[int]:
        headings = record_headings()
        title = _(
            "%(where)s · %(period)s · %(what)s",
            where=_where(self.user, scope),
            period=self.export.period.label,
            what=_("Service records"),
        )
        total = estimated_rows(scope, self.export.period)
        _not_too_large(total)  # before the writer is made: none is left half-written
        total = max(1, total)
        writer = self._writer(_("Service records"), title, headings)
        for batch in record_batches(scope, self.export.period, _batch_rows()):
            writer.add_rows(batch)
            self.rows += len(batch)
            yield min(95, 100 * self.rows // total)
        return writer.finish()

    # --- volunteer hours -------------------------------------------------------------

    def _hours(self, scope: stats.Scope) -> Iterator[int]:
        title = _(
            "%(where)s · %(period)s · %(what)s",
            where=_where(self.user, scope),
            period=self.export.period.label,
            what=_("Volunteer hours"),
        )
        writer = self._writer(_("Volunteer hours"), title, hours_headings())
        rows = volunteer_hours(scope, self.export.period)
        writer.add_rows(rows)
        self.rows = len(rows)
        yield 95
        return writer.finish()

    def _writer(self, sheet: str, title: str, headings: list[str]):
        if self.export.file_format == "csv":
            return CsvWriter(headings)
        writer = XlsxWriter()
        writer.start_sheet(sheet, title, headings)
        return writer

    def _log(self, scope: stats.Scope) -> None:
        export = self.export
        detail = {
            "what": export.kind,
            "format": export.file_format,
            "scope": export.scope,
            "start": export.start.isoformat(),
            "end": export.end.isoformat(),
            "rows": self.rows,
            "stations": len(scope.station_ids),
        }
        if export.table:
            detail["table"] = export.table
        if self.job_id is not None:
            detail["job"] = self.job_id
        audit.log_access(
            self.user, "export", _OBJECTS[export.kind], 0, self.user.station_id, **detail
        )


_OBJECTS = {"report": "report", "records": "service_record", "hours": "volunteer_hours"}


def build_now(user: User, export: Export) -> File:
    """Build the whole file in this transaction (the web request's direct answer)."""
    builder = Builder(user, export)
    for _progress in builder.steps():
        pass
    return builder.file


def _batch_rows() -> int:
    return int(current_app.config.get("EXPORT_BATCH_ROWS", 2000))


def _where(user: User, scope: stats.Scope) -> str:
    """Whose figures: the county's name, or the user's station."""
    station = db.session.get(Station, user.station_id) if user.station_id else None
    if station is None:
        return ""
    if scope.county:
        root = db.session.get(Station, access.county_root_id(station.id))
        return root.region.name if root is not None and root.region is not None else root.name
    return station.name


def _records_in(scope: stats.Scope, period: stats.Period) -> list:
    low, high = period.utc_bounds()
    return [
        ServiceRecord.station_id.in_(list(scope.station_ids) or [-1]),
        ServiceRecord.ended_at >= low,
        ServiceRecord.ended_at < high,
    ]


# --- the rows --------------------------------------------------------------------------------


def record_headings() -> list[str]:
    return [
        _("Date"),
        _("Station"),
        _("Village or community"),
        _("Source"),
        _("Service category"),
        _("Special groups"),
        _("Hours of service"),
        _("Person-times"),
        _("Volunteer or worker"),
        _("Team"),
        _("Person served"),
    ]


def record_batches(scope: stats.Scope, period: stats.Period, size: int) -> Iterator[list[list]]:
    """The records of ``scope`` in ``period``, oldest first, ``size`` rows a query: their
    ids in order first (one index scan; ints only), then each batch of ids joined with
    its names. Each batch is its own short query, so a job may commit between them."""
    labels = _Labels()
    ids = list(
        db.session.scalars(
            select(ServiceRecord.id)
            .where(*_records_in(scope, period))
            .order_by(ServiceRecord.ended_at, ServiceRecord.id)
        )
    )
    for first in range(0, len(ids), size):
        batch = ids[first : first + size]
        found = db.session.execute(_record_rows().where(ServiceRecord.id.in_(batch))).all()
        yield [_record_row(row, scope, labels) for row in found]


def _record_rows():
    volunteer, worker = aliased(User), aliased(User)
    return (
        select(
            ServiceRecord.id,
            ServiceRecord.ended_at,
            ServiceRecord.station_id,
            Station.name,
            Region.name,
            ServiceRecord.source,
            ServiceRecord.category,
            ServiceRecord.special_groups,
            ServiceRecord.hours,
            ServiceRecord.person_times,
            volunteer.name,
            worker.name,
            Team.name,
            Beneficiary.name,
            HelpRequest.contact_name,
            HelpRequest.for_whom,
        )
        .join(Station, Station.id == ServiceRecord.station_id)
        .outerjoin(Region, Region.id == ServiceRecord.village_id)
        .outerjoin(volunteer, volunteer.id == ServiceRecord.volunteer_id)
        .outerjoin(worker, worker.id == ServiceRecord.worker_id)
        .outerjoin(Team, Team.id == ServiceRecord.team_id)
        .outerjoin(Beneficiary, Beneficiary.id == ServiceRecord.beneficiary_id)
        .outerjoin(HelpRequest, HelpRequest.id == ServiceRecord.request_id)
        .order_by(ServiceRecord.ended_at, ServiceRecord.id)
    )


class _Labels:
    """The labels of sources, categories and groups, translated once per export."""

    def __init__(self) -> None:
        self.sources = {code: str(text) for code, text in SERVICE_SOURCES.items()}
        self.categories = {code: str(text) for code, text in counting.RECORD_CATEGORIES.items()}
        self.groups = {code: str(text) for code, text in SPECIAL_GROUPS.items()}


def _record_row(row, scope: stats.Scope, labels: _Labels) -> list:
    (_id, ended_at, station_id, station, village, source, category, groups, hours, times,
     volunteer, worker, team, person, contact, for_whom) = row  # fmt: skip
    named = station_id in scope.serving_ids
    doer = volunteer or worker or ""
    served = person or (contact if for_whom == "self" else "") or ""
    return [
        local_date(ended_at),
        station,
        village or "",
        labels.sources.get(source, source),
        labels.categories.get(category, category),
        "、".join(labels.groups.get(code, code) for code in groups or []),
        Decimal(hours or 0),
        int(times or 0),
        doer if named else "",
        team or "",
        served if named else "",
    ]


def hours_headings() -> list[str]:
    return [
        _("Station"),
        _("Volunteer"),
        _("Phone"),
        _("Team"),
        _("Hours of service"),
        _("Number of services"),
        _("Person-times"),
    ]


def volunteer_hours(scope: stats.Scope, period: stats.Period) -> list[list]:
    """Per station, volunteer and team: hours, services and person-times of the records
    volunteers and teams gave in ``period`` (a team's record with no member named has an
    empty name). One grouped query."""
    grouped = (
        select(
            ServiceRecord.station_id,
            ServiceRecord.volunteer_id,
            ServiceRecord.team_id,
            func.sum(ServiceRecord.hours).label("hours"),
            func.count().label("services"),
            func.sum(ServiceRecord.person_times).label("times"),
        )
        .where(
            *_records_in(scope, period),
            or_(ServiceRecord.volunteer_id.is_not(None), ServiceRecord.team_id.is_not(None)),
        )
        .group_by(ServiceRecord.station_id, ServiceRecord.volunteer_id, ServiceRecord.team_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            grouped.c.station_id,
            Station.name,
            User.name,
            User.phone,
            Team.name,
            grouped.c.hours,
            grouped.c.services,
            grouped.c.times,
        )
        .join(Station, Station.id == grouped.c.station_id)
        .outerjoin(User, User.id == grouped.c.volunteer_id)
        .outerjoin(Team, Team.id == grouped.c.team_id)
        .order_by(Station.name, grouped.c.hours.desc(), User.name, Team.name)
    ).all()
    found = []
    for station_id, station, name, phone, team, hours, services, times in rows:
        named = station_id in scope.serving_ids
        found.append(
            [
                station,
                (name or "") if named else "",
                phone_display(phone) if named and phone else "",
                team or "",
                Decimal(hours or 0).quantize(Decimal("0.01")),
                int(services or 0),
                int(times or 0),
            ]
        )
    return found
