"""Page weight: a first visit (empty cache) to any public page transfers at most 30 KB, all
resources included, and asks nothing of any other site; a second visit fetches the page
alone, its static files coming from the browser's cache.

What is counted: what Chromium itself says it received for each response of the visit,
``encodedDataLength`` of DevTools' ``Network.loadingFinished``: the status line, the
headers and the body as sent (compressed by Linli, app/web/), over HTTP/1.1 on loopback
(no TLS, no HTTP/2 header compression: a real connection sends fewer header bytes). Every
response from the navigation until the network is idle is counted; a response the page
took from the cache costs nothing.

Public pages: every page of the public blueprint and the sign-in pages a person reaches
without an account (home, ask, in danger, done, follow my request by code and by the SMS
link, the request's own page, sign-in, password reset, volunteer sign-up). The two code
steps (/reset/code, /v/signup/confirm) open only after an SMS is sent; they share the
layout and the forms of the pages measured here.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.support import RequestLog, new_phone_context

pytestmark = pytest.mark.e2e

BUDGET_BYTES = 30 * 1024

PUBLIC_PAGES = {
    "home": "/",
    "ask": "/ask",
    "danger": "/ask/danger",
    "track": "/track",
    "sms-link": "/t/K7M3QXA",
    "login": "/login",
    "reset": "/reset",
    "signup": "/v/signup",
    "station-activities": "/s/1/activities",  # issue 18
    "api-reference": "/api/",
    "wishes": "/wishes",  # issue 18 (a wish's page: test_wish_pages.py)
}
AFTER_ASKING = {"done": "/ask/done", "status": "/t/{code}"}
FAVICON_NAME = "icons/favicon.svg"


class Transfers:
    """What Chromium received per request of one page (DevTools protocol)."""

    def __init__(self, page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.urls: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        self.from_cache: set[str] = set()
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.requestServedFromCache", self._cached)
        self.cdp.on("Network.responseReceived", self._received)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _cached(self, event) -> None:
        self.from_cache.add(event["requestId"])

    def _received(self, event) -> None:
        if event["response"].get("fromDiskCache"):
            self.from_cache.add(event["requestId"])

    def _finished(self, event) -> None:
        self.bytes[event["requestId"]] = int(event["encodedDataLength"])

    def clear_cache(self) -> None:
        self.cdp.send("Network.clearBrowserCache")
        self.reset()

    def reset(self) -> None:
        self.urls.clear()
        self.bytes.clear()
        self.from_cache.clear()

    def fetched(self) -> dict[str, int]:
        """url -> bytes received, for every request that went to the network."""
        return {
            self.urls[rid]: size
            for rid, size in self.bytes.items()
            if rid in self.urls and rid not in self.from_cache
        }


def _visit(page, path: str) -> None:
    answer = page.goto(path)
    assert answer is not None and answer.status == 200, (path, answer and answer.status)
    page.wait_for_load_state("networkidle")


def _assert_light(path: str, fetched: dict[str, int]) -> None:
    assert any(".css" in url for url in fetched), f"{path}: the stylesheet was not counted"
    total = sum(fetched.values())
    listing = "\n".join(f"{size:>7} {url}" for url, size in sorted(fetched.items()))
    print(f"\n{path}: {total} bytes transferred (headers included)\n{listing}")
    assert total <= BUDGET_BYTES, f"{path}: {total} bytes > {BUDGET_BYTES}\n{listing}"


@pytest.fixture
def fresh_page(browser, live_server):
    context = new_phone_context(browser, base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.outside = RequestLog(context)
    page.transfers = Transfers(page)
    yield page
    context.close()


@pytest.mark.parametrize("path", PUBLIC_PAGES.values(), ids=PUBLIC_PAGES.keys())
def test_first_visit_is_light_and_stays_on_the_site(fresh_page, path):
    _visit(fresh_page, path)
    assert fresh_page.outside.outside() == [], f"requests to other sites: {fresh_page.outside}"
    fetched = fresh_page.transfers.fetched()
    assert any(url.endswith(path) for url in fetched), f"{path}: the page itself not counted"
    _assert_light(path, fetched)


def _ask_for_help(page) -> str:
    """File a request through the form, as a resident does; its tracking code."""
    page.goto("/ask")
    page.locator("label.tile:has(input[value='companionship'])").click()
    page.locator("select[name=township]").select_option(label="柳林镇")
    expect(page.locator("select[name=village] option")).not_to_have_count(1)
    page.locator("select[name=village]").select_option(index=1)
    page.locator("input[name=phone]").fill("139 1234 0017")
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="提交求助").click()
    page.wait_for_url("**/ask/done")
    return page.locator("#tracking-code").inner_text().replace(" ", "").strip()


def test_the_pages_after_asking_are_light_too(fresh_page):
    """The confirmation and the request's own page, each with the cache emptied first (the
    session kept: only this browser may see them)."""
    code = _ask_for_help(fresh_page)
    for name, template in AFTER_ASKING.items():
        path = template.format(code=code)
        fresh_page.transfers.clear_cache()
        _visit(fresh_page, path)
        if name == "status":
            assert fresh_page.locator(".timeline, ol, .status").count() > 0
        _assert_light(path, fresh_page.transfers.fetched())
    assert fresh_page.outside.outside() == []


def _without_favicon_checks(served: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Chromium's favicon loader (the browser's, not the page's) asks again for the icon at
    each navigation, whatever its cache lifetime: answered 304, no body."""
    return [
        (name, status)
        for name, status in served
        if not (name.startswith(FAVICON_NAME[:-4]) and status == 304)
    ]


def test_a_second_visit_fetches_the_page_alone(fresh_page, live_server):
    """With a warm cache, the static files come from it: the server is not asked for any
    (counted on the server too, so a cache the browser revalidates would show)."""
    app = live_server.app
    static_view = app.view_functions["static"]
    served: list[tuple[str, int]] = []

    def counting_static(filename):
        response = static_view(filename)
        served.append((filename, response.status_code))
        return response

    app.view_functions["static"] = counting_static
    try:
        _visit(fresh_page, "/ask")
        first = fresh_page.transfers.fetched()
        first_static = [name for name, _status in served]
        assert len(first_static) >= 4, f"the first visit loaded {first_static}"

        served.clear()
        fresh_page.transfers.reset()
        _visit(fresh_page, "/ask")
        again = fresh_page.transfers.fetched()
        assert _without_favicon_checks(served) == [], f"static files asked again: {served}"
        page_url = f"{live_server.url}/ask"
        assert [url for url in again if "favicon" not in url] == [page_url], again
        assert sum(again.values()) < sum(first.values()) / 3

        served.clear()
        _visit(fresh_page, "/track")  # another page: what it shares with /ask is cached
        assert _without_favicon_checks(served) == [], served
    finally:
        app.view_functions["static"] = static_view
