"""The monthly report and the exports (issue 15 items 4 and 5), on SQLite and PostgreSQL:
the workbook opens, its totals are the dashboard's figures and a direct count of the rows,
each user gets their scope only, names go to the serving station only, no text runs as a
formula, every export is logged, and a queued export builds the same file as the direct
path."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.demo.clock import frozen_at
from app.extensions import db
from app.jobs import exports as export_job
from app.jobs import unit_of_work
from app.models import AuditLog, ServiceRecord
from app.models.reports import ExportJob
from app.services import ServiceError, export_jobs, exports, stats
from app.services.spreadsheets import safe_text
from tests import factories
from tests.exports_support import (
    INJECTED,
    INJECTED_PERSON,
    NOVEMBER_HOURS,
    NOVEMBER_PERSON_TIMES,
    NOW,
    november,
)

NOVEMBER = stats.month_period(2026, 11)


@pytest.fixture
def clock(app):
    with frozen_at(NOW) as frozen:
        yield frozen


@pytest.fixture
def data(world, clock):
    found = november(world)
    db.session.commit()
    return found


@pytest.fixture
def supervisor(world):
    return factories.make_user(
        roles=("county_supervisor",), station=world.county_centre, name="督导"
    )


@pytest.fixture
def worker_a(world):
    return factories.make_user(roles=("social_worker",), station=world.station_a, name="钱社工")


def export(kind, file_format="xlsx", scope="county", table=""):
    return exports.ask(kind, file_format, scope, NOVEMBER, table)


def sheet_rows(content: bytes, sheet: str) -> list[list]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in book[sheet].iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def column(rows: list[list], heading: str) -> int:
    return rows[1].index(heading)


# --- the monthly report -------------------------------------------------------------------


def test_the_county_report_opens_and_its_totals_are_the_figures_and_the_rows(
    data, supervisor, world
):
    found = exports.build_now(supervisor, export("report"))

    book = load_workbook(io.BytesIO(found.content), read_only=True)
    assert book.sheetnames == [
        "各站汇总",
        "示范区社会工作指导中心",
        "东风街道社工站",
        "杏花社区社工室",
        "柳林镇社工站",
        "覆盖情况",
        "社区活动",  # issue 18
    ]
    rows = sheet_rows(found.content, "各站汇总")
    assert rows[0][0] == "示范区 · 2026年11月 · 社会工作服务月报"
    totals = rows[-1]
    assert totals[0] == "合计"
    figures = stats.figures(stats.county_scope(supervisor), NOVEMBER)
    low, high = NOVEMBER.utc_bounds()
    in_month = (ServiceRecord.ended_at >= low, ServiceRecord.ended_at < high)
    counted = db.session.scalar(select(func.sum(ServiceRecord.person_times)).where(*in_month))
    hours = db.session.scalar(select(func.sum(ServiceRecord.hours)).where(*in_month))
    times, hours_at = column(rows, "服务人次"), column(rows, "服务时长（小时）")
    assert totals[times] == figures.total.person_times == counted == NOVEMBER_PERSON_TIMES
    assert Decimal(str(totals[hours_at])) == figures.total.hours == hours == NOVEMBER_HOURS
    station_rows = {row[0]: row for row in rows[2:-1]}
    assert {name: row[times] for name, row in station_rows.items()} == {
        "示范区社会工作指导中心": 0,
        "东风街道社工站": 4,
        "杏花社区社工室": 1,
        "柳林镇社工站": 1,
    }
    assert sum(row[times] for row in station_rows.values()) == totals[times]
    assert totals[column(rows, "送餐（人次）")] == 2
    assert totals[column(rows, "电话慰问（人次）")] == 1
    assert totals[column(rows, "独居/留守老人（人次）")] == 2
    assert totals[column(rows, "留守儿童（人次）")] == 2


def test_each_station_sheet_lists_its_villages_with_the_station_total(data, supervisor):
    found = exports.build_now(supervisor, export("report"))

    rows = sheet_rows(found.content, "东风街道社工站")
    assert rows[0][0] == "东风街道社工站 · 2026年11月 · 各村（社区）服务情况"
    assert [row[:3] for row in rows[2:]] == [
        ["杏花社区", 3, 3.5],
        ["桃园村", 1, 0.5],
        ["合计", 4, 4],
    ]


def test_the_report_csv_tables(data, supervisor):
    stations = exports.build_now(supervisor, export("report", "csv", table="stations"))
    villages = exports.build_now(supervisor, export("report", "csv", table="villages"))
    coverage = exports.build_now(supervisor, export("report", "csv", table="coverage"))

    assert stations.filename == "linli-report-county-2026-11-stations.csv"
    rows = csv_rows(stations.content)
    assert rows[0][:3] == ["社工站", "服务人次", "服务时长（小时）"]
    assert rows[-1][:3] == ["合计", "6", "5.25"]
    assert [row[:3] for row in csv_rows(villages.content)[1:]] == [
        ["东风街道社工站", "杏花社区", "3"],
        ["东风街道社工站", "桃园村", "1"],
        ["杏花社区社工室", "杏花社区", "1"],
        ["柳林镇社工站", "河口村", "1"],
    ]
    assert csv_rows(coverage.content)[0] == ["特殊群体", "台账人数", "本季度已服务", "覆盖率（％）"]


def test_a_station_workers_report_holds_only_their_stations(data, worker_a):
    found = exports.build_now(worker_a, export("report", scope="station"))

    rows = sheet_rows(found.content, "各站汇总")
    assert rows[0][0] == "东风街道社工站 · 2026年11月 · 社会工作服务月报"
    assert [row[0] for row in rows[2:]] == ["东风街道社工站", "杏花社区社工室", "合计"]
    assert rows[-1][1] == 5


def test_no_scope_no_report(data, worker_a):
    """A station worker asking for the county's report gets nothing built."""
    with pytest.raises(ServiceError):
        exports.build_now(worker_a, export("report", scope="county"))


# --- service records and volunteer hours ------------------------------------------------------


def test_the_serving_station_reads_names_and_no_text_runs_as_a_formula(data, worker_a):
    found = exports.build_now(worker_a, export("records", "csv", scope="station"))

    rows = csv_rows(found.content)
    assert rows[0] == [
        "日期", "社工站", "村（社区）", "来源", "服务类别", "特殊群体",
        "服务时长（小时）", "服务人次", "志愿者或社工", "服务队", "服务对象",
    ]  # fmt: skip
    assert rows[1] == [
        "2026-11-01", "东风街道社工站", "杏花社区", "志愿者或服务队服务", "代购",
        "独居/留守老人", "1.50", "1", "'" + INJECTED, "", "'" + INJECTED_PERSON,
    ]  # fmt: skip
    assert [row[1] for row in rows[1:]] == ["东风街道社工站"] * 3 + ["杏花社区社工室"]
    assert rows[4][8:] == ["王队长", "杏花志愿队", ""]


def test_the_xlsx_records_keep_formulas_as_text(data, worker_a):
    found = exports.build_now(worker_a, export("records", "xlsx", scope="station"))

    book = load_workbook(io.BytesIO(found.content))
    sheet = book["服务记录"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.data_type for cell in cells if cell.value == "'" + INJECTED] == ["s", "s"]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert sheet.cell(row=3, column=11).value == "'" + INJECTED_PERSON


def test_the_county_reads_every_station_and_no_names(data, supervisor):
    found = exports.build_now(supervisor, export("records", "csv"))

    rows = csv_rows(found.content)
    assert len(rows) == 1 + 5
    assert {row[1] for row in rows[1:]} == {"东风街道社工站", "杏花社区社工室", "柳林镇社工站"}
    assert [row[8] for row in rows[1:]] == [""] * 5  # volunteers and workers
    assert [row[10] for row in rows[1:]] == [""] * 5  # the people served
    assert rows[4][9] == "杏花志愿队"  # a team is not a person


def test_volunteer_hours_per_volunteer_and_team(data, worker_a, supervisor):
    own = csv_rows(exports.build_now(worker_a, export("hours", "csv", scope="station")).content)
    county = csv_rows(exports.build_now(supervisor, export("hours", "csv")).content)

    assert own == [
        ["社工站", "志愿者", "电话", "服务队", "服务时长（小时）", "服务次数", "服务人次"],
        ["东风街道社工站", "'" + INJECTED, "138 0013 8000", "", "2.00", "2", "2"],
        ["杏花社区社工室", "王队长", own[2][2], "杏花志愿队", "1.00", "1", "1"],
    ]
    assert own[2][2].startswith("139")
    assert county[1:] == [
        ["东风街道社工站", "", "", "", "2.00", "2", "2"],
        ["杏花社区社工室", "", "", "杏花志愿队", "1.00", "1", "1"],
    ]


def test_every_export_is_logged_with_what_and_which_days(data, supervisor, worker_a):
    exports.build_now(supervisor, export("report"))
    exports.build_now(worker_a, export("records", "csv", scope="station"))
    db.session.commit()

    logged = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id)
    ).all()
    assert [(e.actor_id, e.object_type, e.station_id) for e in logged] == [
        (supervisor.id, "report", supervisor.station_id),
        (worker_a.id, "service_record", worker_a.station_id),
    ]
    assert logged[0].detail == {
        "what": "report",
        "format": "xlsx",
        "scope": "county",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "rows": "4",
        "stations": "4",
    }
    assert logged[1].detail["rows"] == "4"


def test_safe_text_guards_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_text(start + "1+1") == "'" + start + "1+1"
    assert safe_text("张三") == "张三"
    assert safe_text("'=1") == "'=1"


# --- the worker's exports -----------------------------------------------------------------------


def test_the_report_and_hours_answer_at_once_and_many_records_go_to_the_worker(
    app, data, supervisor, monkeypatch
):
    scope = stats.county_scope(supervisor)
    assert exports.estimated_rows(scope, NOVEMBER) == 5
    assert exports.answers_at_once(export("records"), scope) is True
    monkeypatch.setitem(app.config, "EXPORT_DIRECT_MAX_ROWS", 4)
    assert exports.answers_at_once(export("records"), scope) is False
    assert exports.answers_at_once(export("hours"), scope) is True
    assert exports.answers_at_once(export("report"), scope) is True


def _state(job_id: int) -> tuple[str, int]:
    db.session.expire_all()
    return tuple(db.session.execute(select(ExportJob.status, ExportJob.progress).where(
        ExportJob.id == job_id)).one())  # fmt: skip


def test_a_queued_export_runs_with_progress_and_builds_the_direct_file(
    app, data, supervisor, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_BATCH_ROWS", 2)
    asked = export("records", "csv")
    job = export_jobs.queue(supervisor, asked)
    assert export_jobs.queue(supervisor, asked).id == job.id  # a double tap: one job
    db.session.commit()
    assert _state(job.id) == ("queued", 0)

    with unit_of_work():
        assert export_jobs.claim(5) == [job.id]
    assert _state(job.id) == ("running", 0)
    seen = []
    steps = export_jobs.build_steps(job.id)
    while True:
        with unit_of_work():
            if next(steps, None) is None:
                break
        seen.append(_state(job.id))

    assert seen == [("running", 40), ("running", 80), ("running", 95), ("done", 100)]
    stored = db.session.get(ExportJob, job.id)
    direct = exports.build_now(supervisor, asked)
    assert stored.content == direct.content
    assert stored.filename == direct.filename == "linli-records-county-2026-11.csv"


def test_the_worker_job_builds_queued_exports_one_claim_each(app, data, supervisor, worker_a):
    first = export_jobs.queue(supervisor, export("records", "xlsx"))
    second = export_jobs.queue(worker_a, export("hours", "csv", scope="station"))
    db.session.commit()

    assert export_job.build_queued_exports() == 2
    assert export_job.build_queued_exports() == 0

    assert _state(first.id) == ("done", 100)
    assert _state(second.id) == ("done", 100)
    rows = sheet_rows(db.session.get(ExportJob, first.id).content, "服务记录")
    assert len(rows) == 2 + 5
    logged = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
    assert sorted(e.detail["job"] for e in logged) == sorted([str(first.id), str(second.id)])


def test_an_export_whose_user_left_the_station_fails(app, data, worker_a):
    """The scope is the user's when the file is built: one who has left gets nothing."""
    job = export_jobs.queue(worker_a, export("records", "csv", scope="station"))
    worker_a.station_id = None
    db.session.commit()

    assert export_job.build_queued_exports() == 1
    job = db.session.get(ExportJob, job.id)
    assert (job.status, job.content) == ("failed", None)
    assert job.error == "没有这项导出。"


def test_old_exports_are_deleted_and_abandoned_ones_fail(app, data, supervisor, clock):
    old = export_jobs.queue(supervisor, export("records", "csv"))
    old.created_at = NOW - timedelta(hours=25)
    stuck = export_jobs.queue(supervisor, export("hours", "csv"))
    stuck.status, stuck.started_at = "running", NOW - timedelta(hours=2)
    fresh = export_jobs.queue(supervisor, export("report", "xlsx"))
    db.session.commit()
    ids = (old.id, stuck.id, fresh.id)

    assert export_job.purge_old_exports() == 2

    db.session.expire_all()
    left = dict(db.session.execute(select(ExportJob.id, ExportJob.status)).all())
    assert left == {ids[1]: "failed", ids[2]: "queued"}


def test_only_the_owner_finds_a_job(data, supervisor, worker_a):
    job = export_jobs.queue(supervisor, export("records", "csv"))
    db.session.commit()
    assert export_jobs.owned(supervisor, job.id).id == job.id
    assert export_jobs.owned(worker_a, job.id) is None


def test_a_period_of_days_names_its_file_by_its_days():
    asked = exports.ask(
        "records", "csv", "station", stats.Period(date(2026, 11, 1), date(2026, 11, 15))
    )
    assert asked.filename == "linli-records-station-2026-11-01_2026-11-15.csv"
    assert exports.Export.of_params(asked.params()) == asked


def test_a_user_has_at_most_three_exports_waiting(data, supervisor):
    waiting = [
        export_jobs.queue(supervisor, export(kind, file_format))
        for kind, file_format in (("records", "csv"), ("records", "xlsx"), ("hours", "csv"))
    ]
    with pytest.raises(ServiceError) as refused:
        export_jobs.queue(supervisor, export("hours", "xlsx"))
    assert refused.value.message == "您还有 3 项导出正在生成，请等其中一项完成后再试。"
    assert export_jobs.queue(supervisor, export("records", "xlsx")).id == waiting[1].id
    waiting[0].status = "done"
    assert export_jobs.queue(supervisor, export("hours", "xlsx")).status == "queued"


def test_no_file_larger_than_export_max_rows(app, data, supervisor, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_MAX_ROWS", 4)
    scope = stats.county_scope(supervisor)
    with pytest.raises(ServiceError) as refused:
        exports.answers_at_once(export("records"), scope)
    assert refused.value.message == ("这次导出将包含 5 条服务记录，超过 4 条上限：请缩短日期范围。")
    with pytest.raises(ServiceError):
        exports.build_now(supervisor, export("records"))
    assert exports.answers_at_once(export("report"), scope) is True


def test_each_station_row_has_its_own_response_times_and_ratings(data, supervisor, world):
    """Response times and satisfaction per station are the figures of that station alone;
    the totals row has the county's."""
    from app.models import RequestEvent

    for minutes, rating in ((10, 5), (30, 3)):
        made = factories.make_request(world.station_b, status="closed")
        made.created_at = datetime(2026, 11, 16, 2, 0)
        made.accepted_at = made.created_at + timedelta(minutes=minutes)
        made.rating = rating
        db.session.add(
            RequestEvent(
                request_id=made.id, action="rated", at=made.accepted_at, actor_label="resident"
            )
        )
    urgent = factories.make_request(world.station_a, urgency="urgent", status="assigned")
    urgent.created_at = datetime(2026, 11, 17, 2, 0)
    urgent.accepted_at = urgent.created_at + timedelta(minutes=200)
    db.session.commit()

    rows = sheet_rows(exports.build_now(supervisor, export("report")).content, "各站汇总")

    def cells(name: str, *headings: str) -> list:
        row = next(row for row in rows if row[0] == name)
        return [row[column(rows, heading)] for heading in headings]

    timing = ("一般：接单时间中位数（分钟）", "一般：接单时间90分位（分钟）", "一般：按时接单率（％）",
              "紧急：接单时间中位数（分钟）", "紧急：按时接单率（％）")  # fmt: skip
    ratings = ("受理求助", "评价数", "平均星级", "4–5星占比（％）", "未解决")
    assert cells("柳林镇社工站", *timing) == [10, 30, 100, None, None]
    assert cells("东风街道社工站", *timing) == [None, None, None, 200, 0]
    assert cells("合计", *timing) == [10, 30, 100, 200, 0]
    assert cells("柳林镇社工站", *ratings) == [2, 2, 4, 50, 0]
    assert cells("东风街道社工站", *ratings) == [1, 0, None, None, 0]
    assert cells("合计", *ratings) == [3, 2, 4, 50, 0]
