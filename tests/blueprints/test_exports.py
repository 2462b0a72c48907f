"""The monthly report and the exports over HTTP: who may download what, exact status codes,
the worker's progress page and its download for the owner only."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from app.demo.clock import frozen_at
from app.extensions import db
from app.jobs import exports as export_job
from app.models.reports import ExportJob
from app.services import export_jobs, exports, stats
from tests import factories
from tests.console_support import audit_entries, post, text
from tests.exports_support import INJECTED, NOVEMBER_PERSON_TIMES, NOW, november

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COUNTY_REPORT = "/station/county/stats?month=2026-11&format=xlsx"
STATION_REPORT = "/station/stats?month=2026-11&format=csv&table=stations"
RECORDS = "/station/exports/records?month=2026-11&format=csv"


@pytest.fixture
def data(world):
    with frozen_at(NOW):
        found = november(world)
        db.session.commit()
        yield found


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_county_supervisor_downloads_the_months_workbook(client, data, login_as):
    supervisor = login_as("county_supervisor")

    response = client.get(COUNTY_REPORT)

    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"].startswith(
        "attachment; filename=linli-report-county-2026-11.xlsx"
    )
    assert response.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [list(row) for row in book["各站汇总"].iter_rows(values_only=True)]
    figures = stats.figures(stats.county_scope(supervisor), stats.month_period(2026, 11))
    assert rows[-1][:2] == ["合计", figures.total.person_times]
    assert figures.total.person_times == NOVEMBER_PERSON_TIMES
    [logged] = audit_entries("export")
    assert (logged.actor_id, logged.object_type, logged.detail["start"]) == (
        supervisor.id,
        "report",
        "2026-11-01",
    )


def test_a_station_worker_gets_their_stations_only(client, data, login_as):
    login_as("social_worker")

    rows = rows_of(client.get(STATION_REPORT))

    assert [row[0] for row in rows[1:]] == ["东风街道社工站", "杏花社区社工室", "合计"]
    records = rows_of(client.get(RECORDS))
    assert {row[1] for row in records[1:]} == {"东风街道社工站", "杏花社区社工室"}
    assert records[1][8] == "'" + INJECTED


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("social_worker", COUNTY_REPORT, 403),
        ("volunteer", STATION_REPORT, 403),
        ("team_leader", RECORDS, 403),
        ("social_worker", RECORDS + "&scope=county", 403),
        ("county_supervisor", STATION_REPORT, 403),
    ],
)
def test_who_may_not_export(client, data, login_as, role, url, status):
    login_as(role)
    assert client.get(url).status_code == status
    assert audit_entries("export") == []


@pytest.mark.parametrize("url", [COUNTY_REPORT, RECORDS, "/station/exports/1/download"])
def test_a_stranger_is_sent_to_sign_in(client, data, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("month=2026-13&format=xlsx", "2026-11"),
        ("month=2026-11&format=pdf", "CSV"),
        ("month=2026-11&format=csv&table=people", "月报"),
        ("start=2026-11-10&end=2026-11-01&format=csv", "结束日期"),
    ],
)
def test_bad_input_is_refused_with_a_message(client, data, login_as, query, message):
    login_as("county_supervisor")
    response = client.get(f"/station/county/stats?{query}")
    assert response.status_code == 400
    assert message in text(response)


def _large(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_DIRECT_MAX_ROWS", 2)


def test_a_large_export_is_queued_polled_and_downloaded_by_its_owner(
    app, client, data, login_as, world, monkeypatch
):
    _large(app, monkeypatch)
    worker = login_as("social_worker")
    offered = client.get(RECORDS)
    assert offered.status_code == 200
    assert "生成文件" in text(offered) and audit_entries("export") == []

    queued = post(
        client,
        "/station/exports/records",
        {"scope": "station", "format": "csv", "start": "2026-11-01", "end": "2026-11-30"},
        page=RECORDS,
    )
    assert queued.status_code == 303
    job = db.session.query(ExportJob).one()
    assert queued.headers["Location"].endswith(f"/station/exports/{job.id}")
    assert (job.user_id, job.status, job.kind) == (worker.id, "queued", "records")
    page = text(client.get(f"/station/exports/{job.id}"))
    assert 'hx-trigger="every 2s"' in page and "排队中" in page and "<html" in page
    assert client.get(f"/station/exports/{job.id}/download").status_code == 404

    assert export_job.build_queued_exports() == 1

    fragment = text(client.get(f"/station/exports/{job.id}", headers={"HX-Request": "true"}))
    assert "<html" not in fragment and "hx-trigger" not in fragment
    assert f"/station/exports/{job.id}/download" in fragment
    download = client.get(f"/station/exports/{job.id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith(
        "attachment; filename=linli-records-station-2026-11.csv"
    )
    direct = exports.build_now(worker, exports.ask("records", "csv", "station",
                                                  stats.month_period(2026, 11)))  # fmt: skip
    assert download.get_data() == direct.content
    assert len(rows_of(download)) == 1 + 4


def test_nobody_else_sees_or_downloads_a_job(app, client, data, login_as, world, monkeypatch):
    owner = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    db.session.commit()
    job = exports.ask("records", "csv", "county", stats.month_period(2026, 11))
    made = export_jobs.queue(owner, job)
    db.session.commit()
    export_job.build_queued_exports()

    for role, station in (
        ("social_worker", world.station_b),
        ("county_supervisor", world.county_centre),
    ):
        login_as(role, station=station)
        assert client.get(f"/station/exports/{made.id}").status_code == 404
        assert client.get(f"/station/exports/{made.id}/download").status_code == 404


def test_queueing_needs_the_form_token(app, client, data, login_as, monkeypatch):
    _large(app, monkeypatch)
    login_as("social_worker")
    response = client.post(
        "/station/exports/records",
        data={"scope": "station", "format": "csv", "month": "2026-11"},
    )
    assert response.status_code == 400
    assert db.session.query(ExportJob).count() == 0


def test_the_progress_page_reads_as_the_job_moves(app, client, data, login_as, monkeypatch):
    _large(app, monkeypatch)
    worker = login_as("social_worker")
    job = export_jobs.queue(
        worker, exports.ask("hours", "xlsx", "station", stats.month_period(2026, 11))
    )
    job.status, job.progress = "running", 40
    db.session.commit()
    assert "已完成 40%" in text(client.get(f"/station/exports/{job.id}"))
    job.status, job.error = "failed", "没有这项导出。"
    db.session.commit()
    page = text(client.get(f"/station/exports/{job.id}"))
    assert "导出失败" in page and "hx-trigger" not in page
    assert re.search(r'<progress[^>]*value="40"', page) is None


def _links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', html)]


def test_the_dashboards_links_carry_the_period_shown(app, world):
    from types import SimpleNamespace

    from flask import render_template

    days = stats.Period(date(2026, 11, 1), date(2026, 11, 15))
    with app.test_request_context("/station/stats?start=2026-11-01&end=2026-11-15"):
        station = render_template(
            "console/_stats_exports.html", page=SimpleNamespace(county=False, period=days)
        )
    with app.test_request_context("/station/county/stats?month=2026-10"):
        county = render_template("console/_stats_exports.html", oob=True)

    assert _links(station) == [
        "/station/stats?format=xlsx&start=2026-11-01&end=2026-11-15",
        "/station/stats?format=csv&table=stations&start=2026-11-01&end=2026-11-15",
        "/station/stats?format=csv&table=villages&start=2026-11-01&end=2026-11-15",
        "/station/stats?format=csv&table=coverage&start=2026-11-01&end=2026-11-15",
        "/station/exports/records?scope=station&format=xlsx&start=2026-11-01&end=2026-11-15",
        "/station/exports/records?scope=station&format=csv&start=2026-11-01&end=2026-11-15",
        "/station/exports/hours?scope=station&format=xlsx&start=2026-11-01&end=2026-11-15",
        "/station/exports/hours?scope=station&format=csv&start=2026-11-01&end=2026-11-15",
    ]
    assert "hx-swap-oob" not in station
    assert _links(county)[0] == "/station/county/stats?format=xlsx&month=2026-10"
    assert _links(county)[-1] == "/station/exports/hours?scope=county&format=csv&month=2026-10"
    assert 'hx-swap-oob="true"' in county and "下载月报 XLSX" in county


def test_too_large_an_export_is_refused(app, client, data, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_MAX_ROWS", 3)
    login_as("social_worker")
    response = client.get(RECORDS)
    assert response.status_code == 400
    assert "超过 3 条上限" in text(response)
    assert audit_entries("export") == []


def test_the_dashboard_offers_the_exports_of_the_period_it_shows(client, data, login_as):
    login_as("county_supervisor")

    page = text(client.get("/station/county/stats?month=2026-11"))
    body = text(client.get("/station/county/stats?month=2026-10", headers={"HX-Request": "true"}))

    assert page.count('id="stats-exports"') == 1 and "hx-swap-oob" not in page
    assert "/station/county/stats?format=xlsx&amp;month=2026-11" in page
    assert body.count('id="stats-exports"') == 1 and 'hx-swap-oob="true"' in body
    assert "/station/county/stats?format=xlsx&amp;month=2026-10" in body
    assert "/station/exports/records?scope=county&amp;format=csv&amp;month=2026-10" in body
