"""What a phone expects of Linli (issue 16, item 7), in Debian's chromium on a 360×740 phone:
the browser reads the web app manifest without a complaint and loads every icon it names,
from Linli alone; the sign-up page's 「登录」 is a full 44 px target (the generic check in
journey_support exempts links inside a sentence, so this one is measured by name)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journey_support import MIN_TAP, check_page
from tests.e2e.support import RequestLog

pytestmark = pytest.mark.e2e


def test_chromium_reads_the_manifest_and_loads_its_icons(page, live_server):
    requests = RequestLog(page)
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto("/")
    session = page.context.new_cdp_session(page)
    answer = session.send("Page.getAppManifest")
    assert answer["url"].endswith("/manifest.webmanifest")
    assert answer["errors"] == [], answer["errors"]
    for name in ("icon-192", "icon-512"):
        # under its content-hashed name (app/web/assets.py)
        found = re.search(rf'"(/static/icons/{name}\.[0-9a-f]{{12}}\.png)"', answer["data"])
        assert found, f"{name} is not in the manifest"
        icon = found.group(1)
        response = page.request.get(icon)
        assert response.status == 200 and response.headers["content-type"] == "image/png"
    touch = page.locator("link[rel=apple-touch-icon]").get_attribute("href")
    assert page.request.get(touch).status == 200
    assert failed == [] and requests.outside() == []


def test_the_sign_up_pages_sign_in_link_is_44_px(page):
    page.goto("/v/signup")
    link = page.locator("main a[href='/login']")
    expect(link).to_have_text("登录")
    box = link.bounding_box()
    assert box is not None
    assert box["width"] >= MIN_TAP and box["height"] >= MIN_TAP, box
    check_page(page, "signup-sign-in-link")
