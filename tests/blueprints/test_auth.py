"""Sign-in by phone or username, sign-out, language switch, role landing pages."""

import pytest

from app.extensions import db
from tests import factories
from tests.conftest import csrf_token_from


def _login(client, login, password=factories.PASSWORD):
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("social_worker", "/station/"),
        ("station_admin", "/station/"),
        ("county_supervisor", "/station/county"),
        ("volunteer", "/v/tasks"),
    ],
)
def test_sign_in_by_phone_lands_on_the_roles_page(client, world, role, landing):
    station = world.county_centre if role == "county_supervisor" else world.station_a
    user = factories.make_user(roles=(role,), station=station, phone="+8613800138000")
    db.session.commit()
    response = _login(client, "138 0013 8000")
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert (follow.status_code, follow.headers["Location"]) == (302, landing)
    assert client.get(landing).status_code == 200
    with client.session_transaction() as session:
        assert session["_user_id"] == str(user.id)  # signed in as the one with that phone


def test_sign_in_by_username_and_wrong_password(client, world):
    factories.make_user(roles=("volunteer",), username="lixiao")
    db.session.commit()
    wrong = _login(client, "lixiao", "nope")
    assert wrong.status_code == 422
    assert "手机号、用户名或密码不正确。" in wrong.get_data(as_text=True)
    assert _login(client, "lixiao").status_code == 302


def test_sign_out_ends_the_session(client, login_as):
    login_as("social_worker")
    assert client.get("/station/").status_code == 200
    page = client.get("/station/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert client.get("/station/").status_code == 302  # back to sign-in


def test_sign_out_needs_csrf(client, login_as):
    login_as("social_worker")
    assert client.post("/logout").status_code == 400


def test_role_pages_refuse_other_roles(client, login_as):
    login_as("volunteer")
    assert client.get("/station/").status_code == 403
    assert client.get("/v/tasks").status_code == 200


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get("/station/")
    assert (response.status_code, response.headers["Location"]) == (
        302,
        "/login?next=%2Fstation%2F",
    )


def test_language_switch_and_browser_choice(client, world):
    assert "求助" in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert "Ask for help" in english
    response = client.get("/lang/zh?next=/")
    assert response.status_code == 302
    chosen = client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "求助" in chosen


def test_language_switch_refuses_open_redirects(client, world):
    response = client.get("/lang/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"


def test_security_headers(client, world):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]
