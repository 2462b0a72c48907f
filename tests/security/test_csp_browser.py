"""In a real browser, the CSP blocks nothing the pages need, and htmx works under it.

Uses the live server of tests/live_server.py (the demo county served for real, the same
one as the e2e tests') and Debian's chromium on a phone. Any "Refused to ..." console message means a page relies on
something the policy forbids (an inline script, an inline style, a foreign host).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_LOGINS, DEMO_PASSWORD
from tests.e2e import support
from tests.e2e.conftest import _no_rate_limits_while_browsing  # noqa: F401  (a fixture)
from tests.e2e.support import login


@pytest.fixture
def in_browser(live_server):
    """Run ``check(tab)`` in a phone tab of its own Playwright, in a thread of its own: the
    e2e tests' Playwright stays open in this thread for the whole session, and two sync
    Playwrights cannot share a thread."""
    import os
    import threading

    reason = support.chromium_missing_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the browser tests: {reason}")
        pytest.skip(reason)

    def run(check):
        failure: list[BaseException] = []

        def body():
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    browser = support.launch(playwright)
                    try:
                        context = support.new_phone_context(browser, base_url=live_server.url)
                        context.set_default_timeout(15_000)
                        check(context.new_page())
                        context.close()
                    finally:
                        browser.close()
            except BaseException as error:  # noqa: BLE001 - handed to the test's thread
                failure.append(error)

        thread = threading.Thread(target=body, name="csp-browser")
        thread.start()
        thread.join(timeout=120)
        assert not thread.is_alive(), "the browser check did not finish in 120 s"
        if failure:
            raise failure[0]

    return run


pytestmark = pytest.mark.e2e


def _watch(tab) -> list[str]:
    seen: list[str] = []

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            seen.append(f"{tab.url}: {text[:200]}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: seen.append(f"{tab.url}: script error {error}"))
    return seen


PUBLIC = ["/", "/ask", "/track", "/login", "/v/signup"]


def test_public_pages_break_no_rule_of_the_csp(in_browser):
    def check(phone):
        seen = _watch(phone)
        for path in PUBLIC:
            response = phone.goto(path)
            assert response is not None and response.status == 200, path
            phone.wait_for_load_state("load")
        # htmx is loaded only by pages that use it (base.html): the ask form does
        phone.goto("/ask")
        phone.wait_for_load_state("load")
        assert phone.evaluate("typeof window.htmx") == "object", "htmx did not load"
        assert not seen, "\n".join(seen)

    in_browser(check)


def test_htmx_loads_the_village_list_under_the_csp(in_browser):
    def check(phone):
        seen = _watch(phone)
        phone.goto("/ask")
        township = phone.locator("select[name=township]")
        assert township.count() == 1, "the ask form has no township list"
        value = township.locator("option").nth(1).get_attribute("value")
        with phone.expect_response(
            lambda r: "/ask" in r.url and r.request.headers.get("hx-request")
        ):
            township.select_option(value)
        expect(phone.locator("select[name=village] option").nth(1)).to_be_attached()
        assert not seen, "\n".join(seen)

    in_browser(check)


@pytest.mark.parametrize("role", ["social_worker", "volunteer"])
def test_signed_in_pages_break_no_rule_of_the_csp(in_browser, role):
    account = next(a for a in DEMO_LOGINS if a.role == role)

    def check(phone):
        seen = _watch(phone)
        login(phone, account.username, DEMO_PASSWORD)
        phone.goto("/me")
        phone.wait_for_load_state("load")
        links = phone.locator("main a[href^='/']").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"
        )
        for href in list(dict.fromkeys(links))[:6]:  # the first pages a person would open
            if "logout" in href or href.endswith(".csv"):
                continue
            phone.goto(href)
            phone.wait_for_load_state("load")
        assert phone.evaluate("typeof window.htmx") == "object"
        assert not seen, "\n".join(seen)

    in_browser(check)
