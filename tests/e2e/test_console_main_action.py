"""The worker's main action first (issue 16, item 6), on a 360×740 phone.

The demo county's new request with the most candidates (ten volunteers and teams fit it)
opens with 受理 inside the first screen, without scrolling: before issue 16 it sat about
2,330 px down, below the request, the place and ten candidate cards. The candidates past
the first three fold into a <details> that opens without JavaScript. The page passes axe,
the 44 px tap-target check and fits the phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.services.codes import code_text
from tests.e2e.journey_support import DEMO_WORKER, check_page, read_db
from tests.e2e.support import PHONE_HEIGHT, login, new_phone_context, shot

pytestmark = pytest.mark.e2e


def _busiest_new_request(live_server) -> tuple[int, int]:
    """(id, number of candidates) of the demo worker's new request with most candidates."""

    def find():
        from app.extensions import db
        from app.models import HelpRequest, User
        from app.services import matching

        worker = db.session.scalar(select(User).where(User.username == DEMO_WORKER))
        requests = db.session.scalars(
            select(HelpRequest).where(
                HelpRequest.station_id == worker.station_id, HelpRequest.status == "new"
            )
        ).all()
        counted = [(len(matching.find_candidates(r, limit=10)), r.id) for r in requests]
        assert counted, "the demo data lost its new requests"
        most, request_id = max(counted)
        return request_id, most

    request_id, most = read_db(live_server, find)
    assert most > 3, "no demo request with more than three candidates to fold"
    return request_id, most


def _top_and_bottom(page, locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, "the main action is not rendered"
    return box["y"], box["y"] + box["height"]


def test_accept_is_within_the_first_screen_and_candidates_fold(page, live_server):
    request_id, most = _busiest_new_request(live_server)
    login(page, DEMO_WORKER, DEMO_PASSWORD)
    page.goto(f"/station/r/{request_id}")
    assert page.evaluate("window.scrollY") == 0
    accept = page.get_by_role("button", name="受理", exact=True)
    expect(accept).to_be_visible()
    top, bottom = _top_and_bottom(page, accept)
    print(f"受理 at {top:.0f}–{bottom:.0f} px of a {PHONE_HEIGHT} px screen")
    assert bottom <= PHONE_HEIGHT, f"受理 ends at {bottom:.0f} px, below the first screen"
    # The timeline and the candidates come after the actions.
    actions_bottom = _top_and_bottom(page, page.locator("#actions"))[1]
    assert _top_and_bottom(page, page.locator("#candidates"))[0] > actions_bottom
    assert _top_and_bottom(page, page.locator("#timeline"))[0] > actions_bottom
    shot(page, "console-request-main-action")
    shot(page, "console-request-main-action-first-screen", full_page=False)

    shown = page.locator("#candidates > ol.candidates > li")
    folded = page.locator("#more-candidates li")
    expect(shown).to_have_count(3)
    expect(folded).to_have_count(most - 3)
    expect(folded.first).to_be_hidden()
    page.locator("#more-candidates summary").click()
    expect(folded.first).to_be_visible()
    check_page(page, "console-request")


def test_the_fold_opens_without_javascript(browser, live_server):
    request_id, most = _busiest_new_request(live_server)
    context = new_phone_context(browser, base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        login(page, DEMO_WORKER, DEMO_PASSWORD)
        page.goto(f"/station/r/{request_id}")
        folded = page.locator("#more-candidates li")
        expect(folded.first).to_be_hidden()
        page.locator("#more-candidates summary").click()
        expect(folded.last).to_be_visible()
        accept = page.get_by_role("button", name="受理", exact=True)
        assert _top_and_bottom(page, accept)[1] <= PHONE_HEIGHT
    finally:
        context.close()


def _file_a_repeat(live_server) -> dict:
    """Two requests from one phone for the same help in the demo worker's township: the
    second is marked as a possible duplicate of the first (intake's rule)."""

    def file():
        from app.extensions import db
        from app.jobs import unit_of_work
        from app.models import Region
        from app.services import intake
        from tests.e2e.journey_support import DEMO_TOWNSHIP

        township = db.session.scalar(select(Region).where(Region.name == DEMO_TOWNSHIP))
        village = db.session.scalars(
            select(Region)
            .where(Region.parent_id == township.id, Region.level == "village")
            .order_by(Region.id)
        ).first()
        with unit_of_work():
            values = {"category": "shopping", "village_id": village.id}
            values["contact_phone"] = "+8613912340161"
            earlier = intake.submit_request(**values, description="想请人帮忙买米和油，腿脚不方便")
            repeat = intake.submit_request(**values, description="还是买米的事")
        assert repeat.possible_duplicate_of_id == earlier.id
        return {"earlier": earlier.code, "repeat": repeat.code, "id": repeat.id}

    return read_db(live_server, file)


def test_with_a_possible_duplicate_accept_and_merge_are_both_in_the_first_screen(page, live_server):
    filed = _file_a_repeat(live_server)
    login(page, DEMO_WORKER, DEMO_PASSWORD)
    page.goto(f"/station/r/{filed['id']}")
    notice = page.locator("#possible-duplicate")
    expect(notice).to_contain_text("想请人帮忙买米和油，腿脚不方便")
    merge = page.locator("#merge-into-earlier")
    expect(merge).to_have_text(
        f"关闭本求助 {code_text(filed['repeat'])}，并入 {code_text(filed['earlier'])}"
    )
    accept = page.get_by_role("button", name="受理", exact=True)
    assert _top_and_bottom(page, accept)[1] <= PHONE_HEIGHT
    assert _top_and_bottom(page, merge)[1] <= PHONE_HEIGHT
    shot(page, "console-request-duplicate-first-screen", full_page=False)
    check_page(page, "console-request-duplicate")
    with page.expect_navigation():
        merge.click()
    expect(page.locator(".flashes")).to_contain_text(
        f"{code_text(filed['repeat'])} 已关闭，并入 {code_text(filed['earlier'])}"
    )
