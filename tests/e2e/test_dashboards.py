"""The dashboards on a 360 px phone and a 1280 px screen, with the demo county: each fits
(tables scroll in their own box, never the page), passes axe, asks nothing of another
site and shows no CSP complaint; the period changes by htmx without a page load, and a
bad one shows its message while the figures stay."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD
from tests.e2e.support import RequestLog, axe_check, horizontal_overflow, login, shot

pytestmark = pytest.mark.e2e

PAGES = {"shegong": "/station/stats", "dudao": "/station/county/stats"}


@pytest.mark.parametrize("username", list(PAGES))
def test_dashboard_fits_a_phone_and_a_screen(page, live_server, username):
    requests = RequestLog(page)
    complaints = []
    page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    login(page, username, DEMO_PASSWORD)
    for width, height in ((360, 740), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        response = page.goto(PAGES[username])
        assert response is not None and response.status == 200
        expect(page.locator("figure.chart svg").first).to_be_visible()
        page.locator("figure.chart details summary").first.click()  # the numbers, opened
        shot(page, f"stats-{username}-{width}")
        assert horizontal_overflow(page) == 0, f"{username} at {width}: wider than the screen"
        axe_check(page)
    assert requests.outside() == []
    assert complaints == []


def test_the_period_changes_by_htmx_and_a_bad_one_keeps_the_figures(page, live_server):
    login(page, "shegong", DEMO_PASSWORD)
    page.goto(PAGES["shegong"])
    page.evaluate("window.__stillHere = true")  # gone if the page reloads
    body = page.locator("#stats-body")
    page.locator("#stats-month").fill("2026-01")
    page.locator("#stats-body form").first.get_by_role("button").click()
    expect(page).to_have_url(f"{live_server.url}/station/stats?month=2026-01")
    expect(body.locator(".stats-period")).to_have_text("2026年1月")
    assert page.evaluate("window.__stillHere") is True

    page.locator(".stats-range summary").click()
    page.locator("#stats-start").fill("2026-01-20")
    page.locator("#stats-end").fill("2026-01-10")
    page.locator(".stats-range form").get_by_role("button").click()
    expect(page.locator("#stats-error")).to_have_text("结束日期不能早于开始日期。")
    expect(body.locator(".stats-period")).to_have_text("2026年1月")  # the figures shown before
    expect(page).to_have_url(f"{live_server.url}/station/stats?month=2026-01")
    assert page.evaluate("window.__stillHere") is True
    axe_check(page)


def test_count_again_now_swaps_the_figures_in_place(page, live_server):
    """The figures come from a snapshot (as in production); 「立即重新统计」 counts again
    by htmx, in place, and the time it says is the new count's."""
    from datetime import timedelta

    from app.extensions import db
    from app.models import StatsSnapshot
    from app.services.wording import stamp_text

    def latest():
        return db.session.scalars(
            db.select(StatsSnapshot).order_by(StatsSnapshot.viewed_at.desc())
        ).first()

    login(page, "dudao", DEMO_PASSWORD)
    page.goto(PAGES["dudao"] + "?month=2026-02")
    counted = page.locator("#stats-counted")
    expect(counted).to_contain_text("每 2 分钟重新统计一次")
    with live_server.app_context():  # as if counted 40 s ago: young, but past the 30 s
        row = latest()
        earlier = row.computed_at - timedelta(seconds=40)
        row.computed_at = earlier
        db.session.commit()
        db.session.remove()
    page.evaluate("window.__stillHere = true")
    with page.expect_response(lambda response: "fresh=1" in response.url) as answer:
        page.get_by_role("link", name="立即重新统计").click()
    assert answer.value.status == 200
    with live_server.app_context():
        again = latest().computed_at
        db.session.remove()
    assert again > earlier
    with live_server.app_context():
        expect(counted).to_contain_text(f"数据统计于 {stamp_text(again)}")
    assert page.evaluate("window.__stillHere") is True
    expect(page).to_have_url(f"{live_server.url}/station/county/stats?month=2026-02")
    axe_check(page)
