"""Static files under content-hashed URLs, cached a year; the plain URL keeps working with
a short cache; stylesheets' url() references follow (app/web/assets.py)."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli

from app.web import assets, csrf_mask, uses_htmx

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
HASHED = re.compile(r"/static/([\w./-]+\.[0-9a-f]{12}\.\w+)")


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_static_files_by_their_hash(client, world):
    urls = _static_urls(client.get("/ask").get_data(as_text=True))
    assert any("css/linli." in url for url in urls)
    assert urls and all(HASHED.fullmatch(url) for url in urls), urls


def test_the_hash_is_the_content_of_what_is_served(client, world):
    html = client.get("/").get_data(as_text=True)
    url = next(u for u in _static_urls(html) if "/js/linli." in u)
    digest = hashlib.sha256((STATIC / "js" / "linli.js").read_bytes()).hexdigest()[:12]
    assert url == f"/static/js/linli.{digest}.js"
    answer = client.get(url)
    assert answer.data == (STATIC / "js" / "linli.js").read_bytes()


def test_a_hashed_url_is_cached_a_year_and_revalidates_to_304(client, world):
    url = next(u for u in _static_urls(client.get("/").get_data(as_text=True)) if ".css" in u)
    answer = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["Content-Encoding"] == "br"
    assert answer.mimetype == "text/css"
    assert "Accept-Encoding" in answer.headers["Vary"]
    again = client.get(
        url, headers={"Accept-Encoding": "gzip, br", "If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304


def test_the_plain_url_still_works_with_a_short_cache(app, client):
    answer = client.get("/static/css/linli.css")
    assert answer.status_code == 200
    max_age = app.config["STATIC_PLAIN_MAX_AGE"]
    assert answer.headers["Cache-Control"] == f"public, max-age={max_age}"
    assert b"--red" in answer.data
    for path in ("icons/favicon.svg", "icons/icon-192.png", "js/htmx-2.0.11.min.js"):
        assert client.get(f"/static/{path}").status_code == 200, path


def test_each_encoding_has_its_own_etag_and_the_same_content(client):
    url = "/static/js/htmx-2.0.11.min.js"
    original = (STATIC / "js" / "htmx-2.0.11.min.js").read_bytes()
    br = client.get(url, headers={"Accept-Encoding": "br"})
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    plain = client.get(url)
    assert brotli.decompress(br.data) == gzip.decompress(gz.data) == plain.data == original
    assert len({br.headers["ETag"], gz.headers["ETag"], plain.headers["ETag"]}) == 3
    assert plain.headers.get("Content-Encoding") is None


def test_an_image_is_sent_as_it_is(client):
    answer = client.get("/static/icons/icon-192.png", headers={"Accept-Encoding": "gzip, br"})
    assert answer.headers.get("Content-Encoding") is None
    assert answer.mimetype == "image/png"


def test_an_unknown_or_wrongly_hashed_file_is_404(client):
    assert client.get("/static/css/nothing.css").status_code == 404
    assert client.get("/static/css/linli.000000000000.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_stylesheet_url_references_point_at_hashed_files_that_exist(client):
    css = client.get("/static/vendor/leaflet/leaflet.css").get_data(as_text=True)
    references = re.findall(r"url\(([^)#]+)\)", css)
    assert references, "leaflet.css shows images"
    for reference in references:
        assert re.search(r"\.[0-9a-f]{12}\.png$", reference), reference
        answer = client.get(f"/static/vendor/leaflet/{reference}")
        assert answer.status_code == 200, reference
        assert answer.headers["Cache-Control"].endswith("immutable")


def test_a_changed_image_changes_the_hash_of_the_stylesheet_that_shows_it(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "dot.png").write_bytes(b"one")
    (tmp_path / "site.css").write_text("a { background: url('img/dot.png?x=1') }")
    before = assets.build_manifest(tmp_path)
    assert before.by_name["site.css"].body.decode() == (
        f"a {{ background: url('img/{before.by_name['img/dot.png'].hashed_name[4:]}?x=1') }}"
    )
    (tmp_path / "img" / "dot.png").write_bytes(b"two")
    after = assets.build_manifest(tmp_path)
    assert after.by_name["site.css"].hashed_name != before.by_name["site.css"].hashed_name


def test_the_manifest_is_built_once_per_process(app, client, monkeypatch):
    assets.manifest(app)  # built (by this test or an earlier one)
    calls = []
    monkeypatch.setattr(assets, "build_manifest", lambda folder: calls.append(folder))
    for _ in range(3):
        client.get("/")
        client.get("/static/css/linli.css")
    assert calls == []


def test_the_manifest_links_icons_by_their_hash(client):
    manifest = client.get("/manifest.webmanifest").get_json()
    assert all(HASHED.fullmatch(icon["src"]) for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_a_static_file_varies_on_nothing_but_the_encoding(client, login_as):
    """Not on the session cookie nor on htmx: one cached copy serves every visitor."""
    login_as("social_worker")
    answer = client.get("/static/js/linli.js", headers={"Accept-Encoding": "br"})
    assert answer.headers["Vary"] == "Accept-Encoding"
    page = client.get("/station/")
    assert {"Cookie", "HX-Request"} <= set(page.headers["Vary"].split(", "))


def test_a_static_file_carries_a_short_csp_that_allows_nothing(client):
    answer = client.get("/static/icons/favicon.svg")
    assert answer.headers["Content-Security-Policy"] == assets.STATIC_CSP
    assert "default-src 'none'" in assets.STATIC_CSP


def _scripts(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', html)


def test_htmx_is_loaded_only_where_something_uses_it(client, world, login_as):
    for path in ("/", "/login", "/track?x=1"):
        html = client.get(path).get_data(as_text=True)
        uses = uses_htmx(html.split("<main", 1)[1])
        assert uses == any("htmx" in s for s in _scripts(html)), path
    assert not any("htmx" in s for s in _scripts(client.get("/").get_data(as_text=True)))
    assert any("htmx" in s for s in _scripts(client.get("/ask").get_data(as_text=True)))
    login_as("social_worker")
    assert any("htmx" in s for s in _scripts(client.get("/").get_data(as_text=True)))


def test_a_csrf_token_holding_hx_does_not_load_htmx(client, world, monkeypatch):
    """The masked CSRF token is random base64url: now and then it holds the letters
    "hx-", which is not an htmx attribute. (It loaded htmx on an anonymous page at
    random, and made two renders of one page differ: a flaky test.)"""
    monkeypatch.setattr(csrf_mask, "mask", lambda signed: "Qhx-" + "A" * 60)
    html = client.get("/login").get_data(as_text=True)
    assert 'value="Qhx-' in html  # the form carries the token
    assert not any("htmx" in s for s in _scripts(html))
    assert uses_htmx('<form class="x"\n      hx-post="/ask/phone">')
    assert not uses_htmx('<input name="csrf_token" value="Qhx-AAAA">')


def test_session_signing_follows_a_changed_secret_key(app, client):
    """The session's signing serializer is kept between requests (app/web/assets.py), but
    a new secret key is taken at once: a cookie signed with the old one is refused."""
    with client.session_transaction() as session:
        session["probe"] = "kept"
    with client.session_transaction() as session:
        assert session.get("probe") == "kept"
    old_key = app.secret_key
    try:
        app.secret_key = "another-secret-key-for-this-test"
        with client.session_transaction() as session:
            assert "probe" not in session
    finally:
        app.secret_key = old_key
