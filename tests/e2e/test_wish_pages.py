"""The micro-wish pages (issue 18) on a 360 px phone: the public board, a wish's page and
its claim form, and the station's wish list, record form, wish page and resources ledger.
Each passes axe, names every control, has big enough targets, fits the phone, and asks
nothing of another site."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from tests.e2e.journey_support import DEMO_WORKER, check_page, read_db
from tests.e2e.support import ARTIFACTS, RequestLog, login

pytestmark = pytest.mark.e2e


def _wish_ids(live_server) -> dict[str, int]:
    def find():
        from app.extensions import db
        from app.models import Wish

        confirmed = db.session.scalar(select(Wish.id).where(Wish.status == "confirmed").limit(1))
        fulfilled = db.session.scalar(select(Wish.id).where(Wish.status == "fulfilled").limit(1))
        draft = db.session.scalar(select(Wish.id).where(Wish.status == "recorded").limit(1))
        assert confirmed and fulfilled and draft, "the demo data lost its wishes"
        return {"confirmed": confirmed, "fulfilled": fulfilled, "recorded": draft}

    return read_db(live_server, find)


def _code_sent(live_server, phone: str) -> str:
    def find():
        import re

        from app.extensions import db
        from app.models import OutboxMessage

        body = db.session.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.to_phone == phone, OutboxMessage.template == "wish_claim_code")
            .order_by(OutboxMessage.id.desc())
        ).first()
        return re.search(r"[0-9]{6}", body).group(0)

    return read_db(live_server, find)


def test_the_public_board_and_a_wish_claimed_on_a_phone(page, live_server):
    requests = RequestLog(page)
    assert page.goto("/wishes").status == 200
    expect(page.locator("h1")).to_have_text("微心愿墙")
    check_page(page, "wishes")
    page.locator(".list-item h2 a").last.click()
    page.wait_for_url("**/wishes/*")
    check_page(page, "wish")
    page.get_by_role("button", name="认领这个心愿").click()  # empty: the errors, by htmx
    expect(page.locator(".error").first).to_be_visible()
    check_page(page, "wish-errors")
    page.locator("input[name=name]").fill("周爱心")
    page.locator("input[name=phone]").fill("139 1234 0188")
    page.get_by_role("button", name="认领这个心愿").click()
    expect(page.locator("input[name=code]")).to_be_visible()
    check_page(page, "wish-code")
    page.locator("input[name=code]").fill(_code_sent(live_server, "+8613912340188"))
    page.get_by_role("button", name="确认认领").click()
    expect(page.locator(".notice")).to_contain_text("谢谢您")
    check_page(page, "wish-claimed")
    assert requests.outside() == []


def test_the_stations_wish_pages_fit_a_phone(page, live_server):
    ids = _wish_ids(live_server)
    requests = RequestLog(page)
    login(page, DEMO_WORKER, DEMO_PASSWORD)
    pages = {
        "station-wishes": "/station/wishes",
        "station-wish-new": "/station/wishes/new",
        "station-wish-deliver": f"/station/wishes/{ids['confirmed']}",
        "station-wish-fulfilled": f"/station/wishes/{ids['fulfilled']}",
        # a draft shows exactly what goes public before it is published
        "station-wish-draft": f"/station/wishes/{ids['recorded']}",
        "station-resources": "/station/resources",
    }
    for name, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        check_page(page, name)
    page.goto("/station/stats")
    section = page.locator("section[aria-labelledby=h-wishes]")
    expect(section).to_contain_text("已圆梦心愿")
    section.screenshot(path=str(ARTIFACTS / "station-stats-wishes.png"))
    assert requests.outside() == []
