"""The station admin's API keys page (issue 19): a key made with a name is shown once and
stored hashed, its last use shows, and revoking it stops it. Nobody else manages keys."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey
from tests import factories
from tests.console_support import post
from tests.open311_support import make_key

PAGE = "/station/api-keys"


def _secret_on(page: str) -> str:
    match = re.search(r'id="new-key-value">(lk_[^<]+)<', page)
    assert match, "the new key is not on the page"
    return match.group(1)


def test_admin_makes_a_key_sees_it_once_and_it_is_stored_hashed(client, world, login_as):
    admin = login_as("station_admin", station=world.station_a)
    response = post(client, "/station/api-keys", {"name": "12345 热线"}, page=PAGE)
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
    response = post(client, "/station/api-keys", {"name": "  "}, page=PAGE)
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
