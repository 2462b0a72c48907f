"""Accessibility of every public and volunteer page on a 360 px phone.

On each page: axe-core finds no serious or critical violation; every form control has an
accessible name; every visible button and link in the main content is at least 44×44 CSS
px (WCAG 2.5.5 / STYLE.md), except inline text links inside a sentence (WCAG 2.5.8's
"inline" exception) and the exceptions listed in journey_support.TAP_EXCEPTIONS. The
checks live in journey_support.check_page (the journey runs them on the rating form too).

Two browser contexts per module: a resident without an account (who has just asked for
help, so the confirmation and status pages open) and the demo volunteer, signed in.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from tests.e2e.journey_support import DEMO_VOLUNTEER, check_page, read_db
from tests.e2e.support import login, new_phone_context

pytestmark = pytest.mark.e2e

# --- the resident: no account --------------------------------------------------------------


@pytest.fixture(scope="module")
def resident(browser, live_server):
    """A resident's phone that has just asked for help (its code in ``resident.code``)."""
    context = new_phone_context(browser, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/ask")
    page.locator("label.tile:has(input[value='companionship'])").click()
    page.locator("select[name=township]").select_option(label="柳林镇")
    expect(page.locator("select[name=village] option")).not_to_have_count(1)
    page.locator("select[name=village]").select_option(index=1)
    page.locator("input[name=phone]").fill("139 1234 0003")
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="提交求助").click()
    page.wait_for_url("**/ask/done")
    page.code = page.locator("#tracking-code").inner_text().strip()
    yield page
    context.close()


def _ask_with_errors(page):
    page.goto("/ask")
    page.get_by_role("button", name="提交求助").click()
    expect(page.locator(".error-summary")).to_be_visible()


def _track_with_error(page):
    page.goto("/track")
    page.locator("input[name=code]").fill("AAAAAAA")
    page.locator("input[name=last_four]").fill("1234")
    page.get_by_role("button", name="查看我的求助").click()
    expect(page.locator(".error-summary")).to_be_visible()


def _reset_code(page):
    page.goto("/reset")
    page.locator("input[name=phone]").fill("139 1234 0003")
    page.get_by_role("button", name="发送验证码").click()
    page.wait_for_url("**/reset/code")


def _signup_confirm(page):
    page.goto("/v/signup")
    page.locator("input[name=name]").fill("周志愿")
    page.locator("input[name=phone]").fill("139 1234 0077")
    page.locator("input[name=password]").fill("helping-hands-1")
    page.locator("input[name=skills]").first.check()
    page.locator("input[name=slots]").first.check()
    page.locator("select[name=village_id]").select_option(index=1)
    page.get_by_role("button", name="提交报名").click()
    page.wait_for_url("**/v/signup/confirm")


PUBLIC_PAGES = {
    "home": "/",
    "login": "/login",
    "ask": "/ask",
    "ask-errors": _ask_with_errors,
    "done": "/ask/done",
    "track": "/track",
    "track-error": _track_with_error,
    "track-status": lambda page: page.goto(f"/t/{page.code.replace(' ', '')}"),
    "signup": "/v/signup",
    "signup-confirm": _signup_confirm,
    "reset": "/reset",
    "api-reference": "/api/",
    "reset-code": _reset_code,
    "station-activities": "/s/1/activities",  # issue 18
    "wishes": "/wishes",  # issue 18; a wish's page and its claim: test_wish_pages.py
}


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_public_page_is_accessible(resident, name):
    how = PUBLIC_PAGES[name]
    if callable(how):
        how(resident)
    else:
        response = resident.goto(how)
        assert response is not None and response.status == 200, (how, response)
    if name == "track-status":
        expect(resident.locator("h1")).to_contain_text(resident.code)
    check_page(resident, name)


# --- the volunteer: signed in -------------------------------------------------------------


def _volunteer_ids(live_server) -> dict[str, int]:
    """An offered task near him, an offer to him, one of his open claims."""

    def find():
        from app.extensions import db
        from app.models import Offer, User
        from app.services import volunteers

        user = db.session.scalar(select(User).where(User.username == DEMO_VOLUNTEER))
        nearby = volunteers.nearby_tasks(user)
        offers = db.session.scalars(
            select(Offer).where(Offer.volunteer_id == user.id).order_by(Offer.id)
        ).all()
        pending = [o for o in offers if o.status == "pending"] or offers
        claims = volunteers.my_claims(user)
        assert nearby and pending and claims, "the demo data lost the volunteer's examples"
        return {"task": nearby[0].request.id, "offer": pending[0].id, "claim": claims[0].id}

    return read_db(live_server, find)


@pytest.fixture(scope="module")
def volunteer(browser, live_server):
    context = new_phone_context(browser, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, DEMO_VOLUNTEER, DEMO_PASSWORD)
    page.ids = _volunteer_ids(live_server)
    yield page
    context.close()


VOLUNTEER_PAGES = {
    "v-tasks": lambda ids: "/v/tasks",
    "v-task": lambda ids: f"/v/t/{ids['task']}",
    "v-offer": lambda ids: f"/v/o/{ids['offer']}",
    "v-mine": lambda ids: "/v/mine",
    "v-claim": lambda ids: f"/v/c/{ids['claim']}",
    "v-hours": lambda ids: "/v/hours",
    "v-certificate": lambda ids: "/v/hours/certificate",
    "v-activities": lambda ids: "/v/activities",  # issue 18 (one activity: test_activities.py)
}


@pytest.mark.parametrize("name", list(VOLUNTEER_PAGES))
def test_volunteer_page_is_accessible(volunteer, name):
    path = VOLUNTEER_PAGES[name](volunteer.ids)
    response = volunteer.goto(path)
    assert response is not None and response.status == 200, (path, response)
    assert "/login" not in volunteer.url
    check_page(volunteer, name)
