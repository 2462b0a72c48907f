"""?next= is read in two places (the language switch and sign-in): a bad value is dropped
and the person lands on the usual page, never on an error page or another site."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.extensions import db
from app.services.urls import safe_next
from tests import factories
from tests.conftest import csrf_token_from

BAD_TARGETS = [
    "/\r\nX:y",  # a header break: used to raise inside the redirect (500)
    "/\nSet-Cookie:a=b",
    "/\rX",
    "/\t/evil.com",  # browsers drop tabs and line breaks: this is //evil.com
    "//evil.com",
    "https://evil.com",
    "HTTPS://evil.com/x",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "javascript:alert(1)",
    " javascript:alert(1)",
    "evil.com",
    "",
    " ",
]


@pytest.mark.parametrize("target", [*BAD_TARGETS, "/\x00", "/\x7f", "/a\u2028b"])
def test_safe_next_refuses_anything_but_a_plain_local_path(target):
    assert safe_next(target) is None


def test_safe_next_keeps_local_paths_with_their_query():
    assert safe_next("/") == "/"
    assert safe_next("/track?code=K7M3QXA") == "/track?code=K7M3QXA"
    assert safe_next("/station/r/12") == "/station/r/12"
    assert safe_next(None) is None


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_the_language_switch_falls_back_to_the_home_page(client, world, target):
    response = client.get(f"/lang/en?next={quote(target, safe='')}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "lang=en" in response.headers.get("Set-Cookie", "")


def test_the_language_switch_still_returns_to_the_page(client, world):
    response = client.get(f"/lang/en?next={quote('/track?code=K7M3QXA', safe='')}")
    assert response.headers["Location"] == "/track?code=K7M3QXA"


def _sign_in(client, user, target: str):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post(
        f"/login?next={quote(target, safe='')}",
        data={"login": user.username, "password": factories.PASSWORD, "csrf_token": token},
    )


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_sign_in_falls_back_to_the_roles_page(client, world, target):
    user = factories.make_user(roles=("social_worker",), station=world.station_a)
    db.session.commit()
    response = _sign_in(client, user, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/me"


def test_sign_in_still_returns_to_the_page_asked_for(client, world):
    user = factories.make_user(roles=("social_worker",), station=world.station_a)
    db.session.commit()
    response = _sign_in(client, user, "/station/?tab=overdue")
    assert response.headers["Location"] == "/station/?tab=overdue"
