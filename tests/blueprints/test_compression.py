"""Linli compresses its text answers itself (app/web/compression.py): pages, fragments,
JSON, exports; as the browser accepts; never tiny bodies; personal pages only for requests
Linli's pages or the person started (BREACH)."""

from __future__ import annotations

import gzip

import brotli
import pytest

from tests.public_support import HX, look_up, make_tracked

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd", "Sec-Fetch-Site": "none"}
SAME_ORIGIN = {**BROWSER, "Sec-Fetch-Site": "same-origin"}


def _decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def test_a_page_is_sent_compressed_with_brotli_and_says_it_varies(client, world):
    plain = client.get("/ask")
    packed = client.get("/ask", headers=BROWSER)
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "HX-Request" in packed.headers["Vary"]  # what was there is kept
    assert len(packed.data) < len(plain.data) / 3
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert "求助" in _decoded(packed).decode("utf-8")


def test_gzip_when_brotli_is_not_accepted_and_nothing_when_nothing_is(client, world):
    gzipped = client.get("/ask", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert "求助" in _decoded(gzipped).decode("utf-8")
    refused = client.get("/ask", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert refused.headers.get("Content-Encoding") is None
    assert "Accept-Encoding" in refused.headers["Vary"]


def test_an_htmx_fragment_is_compressed_too(client, world):
    answer = client.get(
        f"/ask/villages?township={world.township_a.id}", headers={**HX, **SAME_ORIGIN}
    )
    assert answer.status_code == 200
    body = _decoded(answer)
    if len(body) >= 500:
        assert answer.headers["Content-Encoding"] == "br"
    htmx_track = client.post(
        "/track", data={"code": "K7M3QXA"}, headers={**HX, **SAME_ORIGIN}
    )  # refused by CSRF: a small page, answered as it is
    assert htmx_track.status_code == 400


def test_a_tiny_body_is_not_compressed(client):
    for path in ("/healthz", "/robots.txt"):
        answer = client.get(path, headers=BROWSER)
        assert answer.headers.get("Content-Encoding") is None, path
        assert "Accept-Encoding" in answer.headers["Vary"]


def test_the_manifest_json_is_compressed(client):
    answer = client.get("/manifest.webmanifest", headers=BROWSER)
    assert answer.headers["Content-Encoding"] == "br"
    assert b'"icons"' in _decoded(answer)


@pytest.fixture
def bare_app():
    """An app of its own, to add a test route to (the shared one has served requests)."""
    from app import create_app
    from app.config import TestConfig

    return create_app(TestConfig())


def test_an_etag_and_a_304_still_work(bare_app):
    """A strong ETag names the compressed form apart, and If-None-Match answers 304."""
    app, client = bare_app, bare_app.test_client()

    @app.get("/_test/etag")
    def _etag_page():
        from flask import make_response

        response = make_response("<p>" + "邻里 " * 400 + "</p>")
        response.set_etag("abc")
        return response

    first = client.get("/_test/etag", headers=BROWSER)
    assert first.headers["Content-Encoding"] == "br"
    assert first.headers["ETag"] == '"abc:br"'
    again = client.get("/_test/etag", headers={**BROWSER, "If-None-Match": '"abc:br"'})
    assert again.status_code == 304
    assert again.data == b""


def test_a_streamed_answer_passes_untouched(bare_app):
    app, client = bare_app, bare_app.test_client()

    @app.get("/_test/stream")
    def _stream():
        from flask import Response

        return Response((f"line {i}\n" * 50 for i in range(20)), mimetype="text/csv")

    answer = client.get("/_test/stream", headers=BROWSER)
    assert answer.headers.get("Content-Encoding") is None
    assert answer.data.count(b"line 19\n") == 50


def test_a_csv_export_is_compressed_and_reads_the_same(client, world, login_as):
    from tests import factories

    for number in range(30):
        factories.make_beneficiary(world.station_a, world.village_a1, name=f"居民{number}")
    login_as("social_worker")
    plain = client.get("/station/ledger/export.csv")
    packed = client.get("/station/ledger/export.csv", headers=SAME_ORIGIN)
    assert plain.status_code == packed.status_code == 200
    assert packed.headers["Content-Disposition"] == plain.headers["Content-Disposition"]
    assert _decoded(packed) == plain.data
    assert len(plain.data) >= 500
    assert packed.headers["Content-Encoding"] == "br"
    assert len(packed.data) < len(plain.data)


def test_an_xlsx_export_is_sent_as_it_is(client, login_as):
    """A workbook is a zip already: not in the list of types to compress."""
    login_as("social_worker")
    answer = client.get("/station/exports/records", headers=SAME_ORIGIN)
    assert answer.mimetype.startswith("application/vnd.openxmlformats"), answer.mimetype
    assert answer.headers.get("Content-Encoding") is None
    assert answer.data[:2] == b"PK"


# --- BREACH: personal pages ---------------------------------------------------------------


def _done_page_headers(client, world, headers):
    tracked = make_tracked(world)
    look_up(client, tracked.code, "8000")  # this browser may now see the request's page
    return tracked, client.get(f"/t/{tracked.code}?x=K7", headers=headers)


@pytest.mark.parametrize("initiator", ["same-origin", "none"])
def test_a_personal_page_is_compressed_for_linli_and_for_the_person(client, world, initiator):
    _tracked, answer = _done_page_headers(client, world, {**BROWSER, "Sec-Fetch-Site": initiator})
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Encoding"] == "br"
    assert "Sec-Fetch-Site" in answer.headers["Vary"]


@pytest.mark.parametrize("initiator", ["cross-site", "same-site", None])
def test_a_personal_page_asked_for_by_another_site_is_not_compressed(client, world, initiator):
    headers = dict(BROWSER)
    headers.pop("Sec-Fetch-Site")
    if initiator:
        headers["Sec-Fetch-Site"] = initiator
    tracked, answer = _done_page_headers(client, world, headers)
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers.get("Content-Encoding") is None
    assert tracked.code in answer.get_data(as_text=True)
    assert {"Accept-Encoding", "Sec-Fetch-Site"} <= set(answer.headers["Vary"].split(", "))


def test_a_page_for_everyone_is_compressed_whoever_asks(client, world):
    answer = client.get("/ask?x=1", headers={**BROWSER, "Sec-Fetch-Site": "cross-site"})
    assert "no-store" not in answer.headers.get("Cache-Control", "")
    assert answer.headers["Content-Encoding"] == "br"
