"""Security headers, cookies and sign-out, and templates that work under the CSP."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.config import Config
from app.extensions import db
from tests import factories
from tests.conftest import csrf_token_from
from tests.security.conftest import (
    Unfillable,
    app_rules,
    build_url,
    is_login_redirect,
    persona_user,
    sign_in,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


def _csp(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0].lower()] = [w.lower() for w in words[1:]]
    return policy


def _assert_secure_headers(response, where: str) -> list[str]:
    problems = []
    policy = _csp(response)
    for directive in ("script-src", "style-src"):
        sources = policy.get(directive, policy.get("default-src"))
        if sources is None:
            problems.append(f"{where}: no {directive} (nor default-src)")
            continue
        for bad in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
            if bad in sources:
                problems.append(f"{where}: {directive} allows {bad}")
    if policy.get("frame-ancestors") != ["'none'"]:
        problems.append(f"{where}: frame-ancestors is {policy.get('frame-ancestors')}")
    if policy.get("object-src") != ["'none'"]:
        problems.append(f"{where}: object-src is {policy.get('object-src')}")
    if response.headers.get("X-Frame-Options") != "DENY":
        problems.append(f"{where}: X-Frame-Options {response.headers.get('X-Frame-Options')}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where}: no X-Content-Type-Options: nosniff")
    return problems


def test_every_page_and_error_carries_the_security_headers(app, client, cast):
    problems: list[str] = []
    for persona in ("anonymous", "social_worker", "volunteer"):
        sign_in(client, persona_user(cast, persona))
        for rule in app_rules(app, "GET"):
            try:
                url = build_url(rule, cast)
            except Unfillable:
                continue  # the matrix test reports these
            problems += _assert_secure_headers(client.get(url), f"{url} as {persona}")
    sign_in(client, None)
    for url in ("/no-such-page", "/static/css/linli.css"):
        problems += _assert_secure_headers(client.get(url), url)
    problems += _assert_secure_headers(client.post("/logout"), "POST /logout without token")
    assert not problems, "\n".join(problems)


def test_htmx_is_configured_to_work_under_the_csp(client, world):
    """No eval, no inline indicator styles: htmx needs neither unsafe-inline nor eval."""
    html = client.get("/ask").get_data(as_text=True)  # a page that loads htmx (home does not)
    match = re.search(r"<meta name=\"htmx-config\" content='([^']+)'", html)
    assert match, "base.html has no htmx-config meta"
    config = json.loads(match.group(1))
    assert config.get("includeIndicatorStyles") is False
    assert config.get("allowEval") is False
    assert config.get("allowScriptTags") is False
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any("htmx" in s for s in scripts) and all(s.startswith("/static/") for s in scripts)


_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.I | re.S)
_HANDLER = re.compile(r"\s(on[a-z]+|hx-on[:\-][\w:\-]*)\s*=", re.I)
_STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
_JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def test_templates_have_no_inline_script_handler_or_style():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(TEMPLATES.parent.parent)
        for match in _INLINE_SCRIPT.finditer(text):
            if match.group(1).strip():
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{rel}:{line}: inline <script> with content")
        for number, line in enumerate(text.splitlines(), 1):
            if _HANDLER.search(line):
                problems.append(f"{rel}:{number}: inline event handler: {line.strip()[:90]}")
            if _STYLE_ATTR.search(line):
                problems.append(f"{rel}:{number}: style= attribute: {line.strip()[:90]}")
            if _JS_URL.search(line):
                problems.append(f"{rel}:{number}: javascript: URL: {line.strip()[:90]}")
            if re.search(r"<style\b", line, re.I):
                problems.append(f"{rel}:{number}: inline <style> block")
    assert not problems, "blocked by the CSP (move it to static/js or linli.css):\n" + "\n".join(
        problems
    )


def test_the_scanner_catches_what_it_should():
    bad = '<p onclick="x()">a</p><div style="color:red"></div><script>alert(1)</script>'
    assert _HANDLER.search(bad) and _STYLE_ATTR.search(bad)
    assert _INLINE_SCRIPT.search(bad).group(1) == "alert(1)"
    assert not _INLINE_SCRIPT.search('<script src="/static/js/a.js" defer></script>')
    assert not _HANDLER.search('<button data-once="1" class="toggle">')


# --------------------------------------------------------------------------- cookies


def _sign_in_for_real(client, username: str):
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        "/login",
        data={"login": username, "password": factories.PASSWORD, "csrf_token": token},
    )


def _session_set_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "sign-in set no session cookie"
    return cookies[-1]


def test_config_makes_cookies_secure_when_the_public_url_is_https(monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://linli.example.cn")
    assert Config().SESSION_COOKIE_SECURE is True
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    assert Config().SESSION_COOKIE_SECURE is False


def test_session_cookie_is_secure_httponly_and_samesite_over_https(app, world, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://linli.example.cn")
    https = Config()
    factories.make_user(roles=("social_worker",), station=world.station_a, username="https1")
    db.session.commit()
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "PUBLIC_BASE_URL"):
        monkeypatch.setitem(app.config, key, getattr(https, key))
    https_client = app.test_client()
    page = https_client.get("/login", base_url="https://linli.example.cn")
    token = csrf_token_from(page.get_data(as_text=True))
    response = https_client.post(
        "/login",
        data={"login": "https1", "password": factories.PASSWORD, "csrf_token": token},
        base_url="https://linli.example.cn",
        # Over HTTPS Flask-WTF also checks the Referer is this site (browsers send it:
        # Referrer-Policy same-origin).
        headers={"Referer": "https://linli.example.cn/login"},
    )
    assert response.status_code == 302
    cookie = _session_set_cookie(response)
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "secure" in flags, cookie
    assert "httponly" in flags, cookie
    assert "samesite=lax" in flags, cookie
    staff = https_client.get("/station/", base_url="https://linli.example.cn")
    assert staff.status_code == 200


def test_session_cookie_is_httponly_and_samesite_over_http(client, world):
    factories.make_user(roles=("social_worker",), station=world.station_a, username="http1")
    db.session.commit()
    response = _sign_in_for_real(client, "http1")
    assert response.status_code == 302
    flags = {p.strip().lower() for p in _session_set_cookie(response).split(";")}
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # plain http in development: a Secure cookie would be lost


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, client, world):
    """Flask keeps sessions in signed cookies; app/security.py makes sign-out revoke them."""
    factories.make_user(roles=("social_worker",), station=world.station_a, username="copy1")
    db.session.commit()
    assert _sign_in_for_real(client, "copy1").status_code == 302
    stolen = client.get_cookie("session").value
    page = client.get("/station/")
    assert page.status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert out.status_code == 302
    assert is_login_redirect(client.get("/station/"))
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/station/")
    assert is_login_redirect(response), f"old cookie still opens /station/: {response.status_code}"
    # Signing in again works, and only the new session is valid.
    assert _sign_in_for_real(replay, "copy1").status_code == 302
    assert replay.get("/station/").status_code == 200


def test_a_deactivated_account_loses_its_session(app, client, world):
    user = factories.make_user(roles=("social_worker",), station=world.station_a)
    db.session.commit()
    sign_in(client, user)
    assert client.get("/station/").status_code == 200
    user.active = False
    db.session.commit()
    assert is_login_redirect(client.get("/station/"))


def test_private_pages_are_not_cached_and_https_asks_for_hsts(app, client, cast, monkeypatch):
    sign_in(client, cast.users["social_worker"])
    assert client.get("/station/").headers.get("Cache-Control") == "no-store"
    sign_in(client, None)
    home = client.get("/")
    assert "no-store" not in home.headers.get("Cache-Control", "")
    assert client.get(f"/t/{cast.obj('request').code}").headers.get("Cache-Control") == ("no-store")
    assert "geolocation=(self)" in home.headers.get("Permissions-Policy", "")
    assert "Strict-Transport-Security" not in home.headers
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://linli.example.cn")
    secure = client.get("/", base_url="https://linli.example.cn")
    assert secure.headers.get("Strict-Transport-Security", "").startswith("max-age=")


# --------------------------------------------------------------------------- our own JS

STATIC_JS = TEMPLATES.parent / "static" / "js"
_JS_SINK = re.compile(
    r"\.innerHTML\s*[+]?=|\.outerHTML\s*=|insertAdjacentHTML\(|document\.write\(|"
    r"\beval\(|new Function\(|\.bindPopup\(|\.bindTooltip\(|\.setContent\("
)
# Sinks reviewed and accepted, by file and the line's text, with the reason.
KNOWN_SINKS = {
    ("console.js", ".bindTooltip(label)"): "label is an element whose textContent is set: "
    "Leaflet inserts the node, not HTML.",
}


def test_our_scripts_put_no_text_into_html_sinks():
    found = {}
    for path in sorted(STATIC_JS.glob("*.js")):
        if path.name.startswith("htmx-"):
            continue  # vendored
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _JS_SINK.search(line):
                found[(path.name, line.strip())] = number
    unknown = [
        f"app/static/js/{name}:{n}: {text}"
        for (name, text), n in found.items()
        if (name, text) not in KNOWN_SINKS
    ]
    assert not unknown, "text into an HTML sink (use textContent):\n" + "\n".join(unknown)


def test_pages_that_show_what_a_resident_typed_are_not_cached(app, client, world):
    """The confirmation shows the tracking code, the phone's last four digits and the
    description: on a shared phone or the hotline's computer, Back must not show it again."""
    from tests.public_support import post_ask

    posted = post_ask(client, world)
    assert posted.status_code == 303
    assert posted.headers.get("Cache-Control") == "no-store"
    done = client.get("/ask/done")
    assert done.status_code == 200 and done.headers.get("Cache-Control") == "no-store"
    assert "no-store" not in client.get("/ask").headers.get("Cache-Control", "")


def test_the_phone_code_pages_are_not_cached(app, client, world):
    """The confirm and reset-code pages show the number typed and take the SMS code.

    ``client`` makes ``app.test_client()`` an IsolatedClient (a fresh ``g`` per request):
    with Flask's own client the two browsers below share ``g``, so the second is handed
    the first one's CSRF token and refused with 400 when this test runs first."""
    from tests.blueprints.test_accounts_issue13 import post_page, sign_up

    signing_up = app.test_client()
    sign_up(signing_up, world)
    resetting = app.test_client()
    post_page(resetting, "/reset", {"phone": "139 1111 2222"})
    for client, path in (
        (resetting, "/reset"),
        (signing_up, "/v/signup/confirm"),
        (resetting, "/reset/code"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "no-store", path
