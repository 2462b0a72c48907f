"""A large export on a 360 px phone (issue 15): offered, queued by its button, its progress
polled by htmx until the worker has built it, then downloaded. Each page fits the phone,
passes axe, and asks nothing of another site."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from app.demo import DEMO_PASSWORD
from tests.e2e.journey_support import read_db
from tests.e2e.support import RequestLog, axe_check, horizontal_overflow, login, shot

pytestmark = pytest.mark.e2e

RECORDS = "/station/exports/records?month=2026-11&format=xlsx&scope=county"


def test_a_large_export_is_queued_polled_and_downloaded(page, live_server, monkeypatch):
    from app.jobs.exports import build_queued_exports

    monkeypatch.setitem(live_server.app.config, "EXPORT_DIRECT_MAX_ROWS", 0)
    requests = RequestLog(page)
    login(page, "dudao", DEMO_PASSWORD)

    assert page.goto(RECORDS).status == 200
    shot(page, "export-offered")
    assert horizontal_overflow(page) == 0
    axe_check(page)
    page.get_by_role("button", name="生成文件").click()
    page.wait_for_url("**/station/exports/*")
    assert "排队中" in page.inner_text("#export-job")
    shot(page, "export-queued")
    assert horizontal_overflow(page) == 0
    axe_check(page)

    assert read_db(live_server, build_queued_exports) == 1
    link = page.get_by_role("link", name="下载文件")
    link.wait_for(timeout=6000)  # the next poll, within 2 s, swaps in the link
    shot(page, "export-ready")
    axe_check(page)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "linli-records-county-2026-11.xlsx"
    with open(download.value.path(), "rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()), read_only=True)
    assert book.sheetnames == ["服务记录"]
    assert requests.outside() == []
