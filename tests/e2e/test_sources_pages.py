"""Every kind of service recorded (issue 15 item 1), on a 360 px phone: the welfare-call log
on a ledger record (a call logged and one refused, through the real form), the home-visit
form with its minutes, the assigned worker's start/finish forms and the close form with
"service was given". Each fits the phone, passes axe, and asks nothing of another site."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from tests.e2e.journey_support import read_db
from tests.e2e.support import RequestLog, axe_check, horizontal_overflow, login, shot

pytestmark = pytest.mark.e2e


def _samples(live_server) -> dict[str, int]:
    """A ledger person of the demo worker's station, a request assigned to the demo worker
    themselves and one under way (the close form counts it)."""

    def find():
        from app.extensions import db
        from app.models import Beneficiary, HelpRequest, User

        worker = db.session.scalar(select(User).where(User.username == "shegong"))
        person = db.session.scalar(
            select(Beneficiary.id)
            .where(Beneficiary.station_id == worker.station_id)
            .order_by(Beneficiary.id)
            .limit(1)
        )
        mine = db.session.scalar(
            select(HelpRequest.id)
            .where(
                HelpRequest.assigned_worker_id == worker.id,
                HelpRequest.status.in_(("assigned", "in_progress")),
            )
            .limit(1)
        )
        under_way = db.session.scalar(
            select(HelpRequest.id)
            .where(
                HelpRequest.station_id == worker.station_id,
                HelpRequest.status == "in_progress",
            )
            .limit(1)
        )
        assert person and mine and under_way, "the demo data lost its samples"
        return {"person": person, "mine": mine, "under_way": under_way}

    return read_db(live_server, find)


def _fits(page, name: str) -> None:
    shot(page, f"sources-{name}")
    assert horizontal_overflow(page) == 0, f"{name}: wider than the phone"
    axe_check(page)


def test_service_forms_fit_a_phone(page, live_server):
    ids = _samples(live_server)
    requests = RequestLog(page)
    login(page, "shegong", DEMO_PASSWORD)

    page.goto(f"/station/ledger/{ids['person']}")
    page.click("#calls summary")
    page.select_option("#calls select[name=outcome]", "reached")
    page.fill("#calls input[name=minutes]", "1e3")
    page.click("#calls button[type=submit]")
    assert "分钟数须为 1 到 600 的整数。" in page.inner_text("#calls")
    _fits(page, "call-refused")
    page.fill("#calls input[name=minutes]", "12")
    page.fill("#calls textarea[name=note]", "老人说最近腿脚好些了")
    with page.expect_navigation():
        page.click("#calls button[type=submit]")
    assert page.url.endswith(f"/station/ledger/{ids['person']}#calls")
    calls = page.inner_text("#calls")
    assert "已与本人通话" in calls and "12分钟" in calls
    _fits(page, "person-calls")

    response = page.goto(f"/station/ledger/{ids['person']}/visit")
    assert response is not None and response.status == 200
    assert page.is_visible("input[name=minutes]")
    _fits(page, "visit-form")

    page.goto(f"/station/r/{ids['mine']}")
    assert page.is_visible("#my-work")
    _fits(page, "worker-request")

    page.goto(f"/station/r/{ids['under_way']}")
    page.locator("form[action$='/close']").evaluate("f => f.closest('details').open = true")
    assert page.is_visible("input[name=close-served]")
    _fits(page, "close-form")
    assert requests.outside() == []
