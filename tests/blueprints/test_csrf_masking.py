"""The CSRF token is masked afresh at every render (BREACH, app/web/csrf_mask.py): two pages
of one session never carry the same token bytes, and every one of them is accepted; a
tampered one is refused; htmx's header token works."""

from __future__ import annotations

import os
import re

from app.web.csrf_mask import mask, unmask
from tests.public_support import HX, ask_data, form_token_from, requests_in_db

HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _tokens(html: str) -> list[str]:
    return HEADER.findall(html) + FIELD.findall(html)


def _signed_in_page(client, login_as) -> str:
    login_as("social_worker")
    return client.get("/station/").get_data(as_text=True)


def test_two_renders_of_the_same_form_carry_different_tokens_and_both_are_accepted(client, world):
    first = client.get("/login").get_data(as_text=True)
    second = client.get("/login").get_data(as_text=True)
    one, two = FIELD.search(first).group(1), FIELD.search(second).group(1)
    # Not merely different (a signed token's timestamp changes every second): nothing in
    # common, not even the start that a signed token keeps all session long.
    assert len(os.path.commonprefix([one, two])) < 8
    for token in (one, two):  # each opens the door, in this same session
        answer = client.post("/login", data={"csrf_token": token, "login": "x", "password": "y"})
        assert answer.status_code != 400, "a masked token of this session was refused"


def test_one_page_shows_one_masked_token_and_the_next_page_another(client, login_as):
    """Within a response the places agree (a form per row would otherwise add a hundred
    incompressible tokens); from one response to the next nothing is shared."""
    first = _tokens(_signed_in_page(client, login_as))  # hx-headers and the sign-out form
    second = _tokens(client.get("/station/").get_data(as_text=True))
    assert len(first) >= 2 and len(set(first)) == 1 and len(set(second)) == 1
    assert len(os.path.commonprefix([first[0], second[0]])) < 8
    # the same session token underneath (the signed token's timestamp may have moved on)
    assert unmask(first[0]).split(".")[0] == unmask(second[0]).split(".")[0]


def test_the_session_token_itself_never_appears_in_a_page(client, login_as):
    html = _signed_in_page(client, login_as)
    with client.session_transaction() as stored:
        raw = stored["csrf_token"]
    signed = unmask(_tokens(html)[0])
    assert raw not in html
    assert signed not in html
    assert signed.split(".")[0] not in html  # the part that is the same all session long


def test_a_tampered_token_is_refused(client, login_as):
    token = FIELD.search(_signed_in_page(client, login_as)).group(1)
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    for bad in (flipped, token[:-4], token + "AAAA", "not-a-token", mask("forged.token.sig")):
        answer = client.post("/logout", data={"csrf_token": bad})
        assert answer.status_code == 400, bad
    assert client.get("/station/").status_code == 200  # still signed in: nothing was done


def test_htmx_sends_the_header_token_and_it_is_accepted(client, login_as):
    page = _signed_in_page(client, login_as)
    token = HEADER.search(page).group(1)
    assert client.post("/logout", headers={"X-CSRFToken": "x" + token, **HX}).status_code == 400
    answer = client.post("/logout", headers={"X-CSRFToken": token, **HX})
    assert answer.status_code == 302
    assert client.get("/station/").status_code == 302  # signed out


def test_a_public_form_posted_with_htmx_and_its_masked_token_files_the_request(client, world):
    html = client.get("/ask").get_data(as_text=True)
    data = ask_data(world)
    data["form_token"] = form_token_from(html)
    headers = {"X-CSRFToken": HEADER.search(html).group(1), **HX}
    answer = client.post("/ask", data=data, headers=headers)  # the token in the header alone
    assert answer.status_code == 200 and answer.headers.get("HX-Redirect"), answer.status_code
    assert len(requests_in_db()) == 1


def test_a_token_in_flask_wtfs_own_form_still_works_through_a_deploy(app, client, login_as):
    """Pages rendered before masking carry the plain signed token: accepted (nothing sent
    today contains one, so it tells an attacker nothing)."""
    page = _signed_in_page(client, login_as)
    plain = unmask(FIELD.search(page).group(1))
    assert "." in plain
    assert client.post("/logout", data={"csrf_token": plain}).status_code == 302


def test_mask_and_unmask():
    token = "eyJhIjoiYiJ9.Z3x1yA.abc-DEF_123"
    masked = {mask(token) for _ in range(20)}
    assert len(masked) == 20
    assert {unmask(m) for m in masked} == {token}
    assert all("." not in m for m in masked)
    assert unmask(None) is None and unmask("") == ""
    from app.web.csrf_mask import _REFUSED

    # Not base64, too short, not ASCII: each is refused, never an error (a 500).
    assert [unmask(v) for v in ("%%%", "abc", "é" * 40, "\x00" * 40)] == [_REFUSED] * 4


def test_session_keeps_one_token_across_renders(client, world):
    """Masking changes what is sent, not what is stored: one token per session."""
    client.get("/login")
    with client.session_transaction() as stored:
        first = stored["csrf_token"]
    client.get("/login")
    with client.session_transaction() as stored:
        assert stored["csrf_token"] == first


def test_a_token_with_bytes_added_inside_its_mask_is_refused(client, login_as):
    """itsdangerous's base64 skips characters outside its alphabet: the real signed token
    with junk added (here inside a fresh mask) must not pass for the real one."""
    token = FIELD.search(_signed_in_page(client, login_as)).group(1)
    signed = unmask(token)
    for junk in ("!!!", "\x00", " ", "=="):
        answer = client.post("/logout", data={"csrf_token": mask(signed + junk)})
        assert answer.status_code == 400, repr(junk)
    assert client.post("/logout", data={"csrf_token": mask(signed)}).status_code == 302
