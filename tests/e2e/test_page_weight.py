"""Page weight: a first visit (empty cache) to a public page costs at most 60 KB compressed,
all resources included, and asks nothing of any other site.

How it is measured: a fresh browser context per page (nothing cached), every response of
the visit is collected until the network is idle, and its body is counted compressed.
The live server here is werkzeug, which does not compress; in production the reverse
proxy gzips text. So each uncompressed body is gzip-compressed here (level 6, what nginx
uses by default) and that size is counted; a body the server did compress is counted as
sent (Playwright's ``request.sizes()["responseBodySize"]``). Headers are not counted.
"""

from __future__ import annotations

import gzip

import pytest

from tests.e2e.support import RequestLog, new_phone_context

pytestmark = pytest.mark.e2e

BUDGET_BYTES = 60 * 1024


def _compressed_size(response) -> int:
    if 300 <= response.status < 400:
        return 0  # a redirect has no body worth counting
    if response.headers.get("content-encoding"):
        return response.request.sizes()["responseBodySize"]
    return len(gzip.compress(response.body(), compresslevel=6))


def _first_visit(browser, live_server, path: str):
    context = new_phone_context(browser, base_url=live_server.url)
    context.set_default_timeout(15_000)
    responses = []
    context.on("response", lambda response: responses.append(response))
    requests = RequestLog(context)
    try:
        page = context.new_page()
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, (path, answer)
        page.wait_for_load_state("networkidle")
        sizes = {response.url: _compressed_size(response) for response in responses}
        return sizes, requests.outside()
    finally:
        context.close()


@pytest.mark.parametrize(
    "path", ["/", "/ask", "/track", "/t/K7M3QXA"], ids=["home", "ask", "track", "sms-link"]
)
def test_first_visit_is_light_and_stays_on_the_site(browser, live_server, path):
    sizes, outside = _first_visit(browser, live_server, path)
    assert outside == [], f"requests to other sites: {outside}"
    assert any(url.endswith(".css") for url in sizes), "the stylesheet was not counted"
    assert any("htmx" in url for url in sizes), "htmx was not counted"
    total = sum(sizes.values())
    listing = "\n".join(f"{size:>7} {url}" for url, size in sorted(sizes.items()))
    print(f"\n{path}: {total} bytes compressed\n{listing}")
    assert total <= BUDGET_BYTES, f"{path}: {total} bytes > {BUDGET_BYTES}\n{listing}"
