"""Smoke: the public pages and every demo role's landing page work on a 360 px phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_LOGINS, DEMO_PASSWORD
from tests.e2e.support import (
    RequestLog,
    axe_check,
    horizontal_overflow,
    login,
    shot,
    visible_chinese,
)

pytestmark = pytest.mark.e2e


# Known axe failures, by page, each with the area that owns the fix. Remove a line when
# its page is fixed; every other rule is still checked on these pages.
KNOWN_AXE: dict[str, set[str]] = {}


def assert_fits_a_phone(page, name: str) -> None:
    shot(page, name)
    assert horizontal_overflow(page) == 0, f"{name}: wider than the phone"
    assert visible_chinese(page), f"{name}: no Chinese text visible"
    axe_check(page, ignore=KNOWN_AXE.get(name, ()))


@pytest.mark.parametrize(("path", "name"), [("/", "home"), ("/login", "login")])
def test_public_page_fits_a_phone_and_stays_on_the_site(page, path, name):
    requests = RequestLog(page)
    response = page.goto(path)
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert_fits_a_phone(page, f"smoke-{name}")
    assert requests.urls, "the request log saw nothing"
    assert requests.outside() == []


@pytest.mark.parametrize("account", DEMO_LOGINS, ids=lambda account: account.role)
def test_each_demo_role_signs_in_and_lands_on_a_page_that_fits(page, account):
    requests = RequestLog(page)
    login(page, account.username, DEMO_PASSWORD)
    response = page.goto("/me")
    assert response is not None and response.status == 200, page.url
    assert "/login" not in page.url
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    assert_fits_a_phone(page, f"smoke-landing-{account.role}")
    assert requests.outside() == []


def test_sign_in_by_phone_number_and_a_wrong_password(page):
    account = DEMO_LOGINS[0]
    page.goto("/login")
    page.locator("input[name=login]").fill(account.national_phone)
    page.locator("input[name=password]").fill("not-the-password")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".error")).to_be_visible()
    assert "/login" in page.url
    login(page, account.national_phone, DEMO_PASSWORD)
    assert "/login" not in page.url


def test_english_switch_and_back(page):
    page.goto("/login")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Sign in")
    assert "/login" in page.url, "the switch returns to the same page"
    assert horizontal_overflow(page) == 0
    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert visible_chinese(page)
