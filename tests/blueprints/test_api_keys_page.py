"""The station admin's API keys page (issue 19): a key made with a name is shown once and
stored hashed, its last use shows, and revoking it stops it. Nobody else manages keys."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey
from app.models.people import UserRole
from tests import factories
from tests.conftest import csrf_token_from
from tests.console_support import audit_entries, post
from tests.open311_support import make_key

PAGE = "/station/api-keys"


def _make(client, name: str, token: str | None = None):
    """Send the page's form as a browser would: its CSRF and one-time form tokens."""
    page = client.get(PAGE).get_data(as_text=True)
    form_token = token or re.search(r'name="form_token"[^>]*value="([^"]+)"', page).group(1)
    data = {"name": name, "csrf_token": csrf_token_from(page), "form_token": form_token}
    return client.post(PAGE, data=data), form_token


def _secret_on(page: str) -> str:
    match = re.search(r'id="new-key-value">(lk_[^<]+)<', page)
    assert match, "the new key is not on the page"
    return match.group(1)


def test_admin_makes_a_key_sees_it_once_and_it_is_stored_hashed(client, world, login_as):
    admin = login_as("station_admin", station=world.station_a)
    response, _token = _make(client, "12345 热线")
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = _secret_on(response.get_data(as_text=True))
    key = db.session.scalars(select(ApiKey)).one()
    assert key.name == "12345 热线" and key.station_id == world.station_a.id
    assert key.created_by_id == admin.id
    assert secret not in (key.key_hash, key.prefix) and secret.startswith(key.prefix)
    again = client.get("/station/api-keys").get_data(as_text=True)
    assert secret not in again and "12345 热线" in again and "从未使用" in again


def test_last_use_shows_and_a_revoked_key_stops_working(client, world, login_as):
    admin = login_as("station_admin", station=world.station_a)
    secret, key = make_key(world.station_a, admin=admin)
    assert (
        client.get(
            f"/api/v1/stations/{world.station_a.id}/open-requests?api_key={secret}"
        ).status_code
        == 200
    )
    page = client.get("/station/api-keys").get_data(as_text=True)
    assert "最近使用" in page
    response = post(client, f"/station/api-keys/{key.id}/revoke", page=PAGE)
    assert response.status_code == 200 and "已停用" in response.get_data(as_text=True)
    assert db.session.get(ApiKey, key.id).revoked_by_id == admin.id
    url = f"/api/v1/stations/{world.station_a.id}/open-requests?api_key={secret}"
    assert client.get(url).status_code == 403


def test_a_key_needs_a_name(client, world, login_as):
    login_as("station_admin", station=world.station_a)
    response, _token = _make(client, "  ")
    assert response.status_code == 422
    assert db.session.scalar(select(ApiKey.id)) is None


def test_another_stations_admin_cannot_see_or_revoke_the_key(client, world, login_as):
    secret, key = make_key(world.station_a, name="东风热线")
    login_as("station_admin", station=world.station_b)
    assert "东风热线" not in client.get("/station/api-keys").get_data(as_text=True)
    assert post(client, f"/station/api-keys/{key.id}/revoke", page=PAGE).status_code == 404
    assert db.session.get(ApiKey, key.id).revoked_at is None


def test_workers_volunteers_and_strangers_cannot_manage_keys(client, world, login_as):
    assert client.get("/station/api-keys").status_code == 302  # to sign in
    login_as("social_worker", station=world.station_a)
    assert client.get("/station/api-keys").status_code == 403
    assert post(client, "/station/api-keys", {"name": "x"}, page=PAGE).status_code == 403
    login_as("county_supervisor")
    assert client.get("/station/api-keys").status_code == 403
    assert db.session.scalar(select(ApiKey.id)) is None


def test_a_key_of_a_closed_account_stops_working(client, world):
    admin = factories.make_user(roles=("station_admin",), station=world.station_a)
    secret, _key = make_key(world.station_a, admin=admin)
    admin.active = False
    db.session.commit()
    url = f"/api/v1/stations/{world.station_a.id}/open-requests?api_key={secret}"
    assert client.get(url).status_code == 403


def test_sending_the_form_twice_makes_one_key(client, world, login_as):
    """Review: a reload or a second tap of the form made a second live key."""
    login_as("station_admin", station=world.station_a)
    first, token = _make(client, "12345 热线")
    assert first.status_code == 201
    again, _token = _make(client, "12345 热线", token=token)
    assert again.status_code == 409
    page = again.get_data(as_text=True)
    assert 'id="new-key-value"' not in page and "发送了两次" in page
    assert len(db.session.scalars(select(ApiKey)).all()) == 1
    assert _make(client, "网格系统")[0].status_code == 201  # a fresh form makes a new one


def test_making_and_revoking_a_key_are_in_the_access_log(client, world, login_as):
    admin = login_as("station_admin", station=world.station_a)
    _make(client, "12345 热线")
    key = db.session.scalars(select(ApiKey)).one()
    post(client, f"/station/api-keys/{key.id}/revoke", page=PAGE)
    made, revoked = audit_entries("api_key_create"), audit_entries("api_key_revoke")
    assert [(e.actor_id, e.object_id, e.station_id) for e in made + revoked] == [
        (admin.id, key.id, world.station_a.id)
    ] * 2


@pytest.mark.parametrize("change", ["role", "station"])
def test_a_key_stops_when_its_maker_is_no_longer_the_stations_admin(client, world, change):
    """Review: a key kept working after its maker lost the admin role or moved station."""
    admin = factories.make_user(roles=("station_admin",), station=world.station_a)
    secret, _key = make_key(world.station_a, admin=admin)
    url = f"/api/v1/stations/{world.station_a.id}/open-requests?api_key={secret}"
    assert client.get(url).status_code == 200
    if change == "role":
        db.session.execute(UserRole.__table__.delete().where(UserRole.user_id == admin.id))
    else:
        admin.station_id = world.station_b.id
    db.session.commit()
    db.session.expire_all()
    assert client.get(url).status_code == 403
    filed = client.post(
        "/open311/v2/requests.json",
        data={"api_key": secret, "service_code": "shopping", "lat": "34.766", "long": "113.606"},
    )
    assert filed.status_code == 403


def test_a_form_without_its_one_time_token_makes_no_key(client, world, login_as):
    login_as("station_admin", station=world.station_a)
    response = post(client, PAGE, {"name": "12345 热线"}, page=PAGE)
    assert response.status_code == 422 and "重新" in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiKey.id)) is None
