"""Browser fixtures: the app served for real in a thread, and Debian's chromium on a phone.

* ``live_server`` (session, tests/live_server.py through tests/conftest.py): the demo
  county (``flask seed-demo``'s data, so every demo login works) served for real on a free
  127.0.0.1 port; one for the whole run, shared with tests/security/test_csp_browser.py.
* ``browser`` (session): chromium from /usr/bin/chromium. Missing: the tests fail when
  CI=true, and are skipped with the reason otherwise.
* ``page``: a fresh phone context (360×740, scale 2, touch, zh-CN) on the live server.

These tests run once, not once per database: they do not use the ``app`` fixture.
"""

from __future__ import annotations

import os

import pytest

from tests.e2e import support


@pytest.fixture(autouse=True)
def _no_rate_limits_while_browsing():
    """The live server shares the process-wide Limiter; keep it quiet during a browser test."""
    from app.extensions import limiter

    before = limiter.enabled
    limiter.enabled = False
    yield
    limiter.enabled = before


@pytest.fixture(scope="session")
def _playwright():
    reason = support.chromium_missing_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = support.launch(_playwright)
    yield browser
    browser.close()


@pytest.fixture
def phone_context(browser, live_server):
    context = support.new_phone_context(browser, base_url=live_server.url)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(phone_context):
    page = phone_context.new_page()
    yield page
    page.close()
