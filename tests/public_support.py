"""Helpers for the public-side tests (issue 3): the ask form, tracking, the fake geocoder."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from app.extensions import db
from app.models import HelpRequest
from tests import factories
from tests.conftest import csrf_token_from
from tests.fakes.geocoder import FakeGeocoder

HX = {"HX-Request": "true"}
PHONE = "13800138000"
PHONE_E164 = "+8613800138000"


def form_token_from(html: str) -> str:
    match = re.search(r'name="form_token" type="hidden" value="([^"]+)"', html)
    assert match, "no form token on the page"
    return match.group(1)


def open_form(client, path: str = "/ask") -> tuple[str, str, str]:
    """GET the form: (html, csrf token, one-time form token)."""
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, csrf_token_from(html), form_token_from(html)


def ask_data(world, **overrides) -> dict:
    data = {
        "category": "shopping",
        "for_whom": "self",
        "urgency": "normal",
        "description": "腿脚不方便，想请人帮忙买米和油",
        "township": str(world.township_a.id),
        "village": str(world.village_a1.id),
        "wanted_when": "asap",
        "phone": PHONE,
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_ask(client, world, *, htmx: bool = False, path: str = "/ask", token=None, **overrides):
    """Open the form and send it; returns the response."""
    _html, csrf, form_token = open_form(client, path)
    data = ask_data(world, **overrides)
    data["csrf_token"] = csrf
    data["form_token"] = token or form_token
    return client.post(path, data=data, headers=HX if htmx else {})


def requests_in_db() -> list[HelpRequest]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(HelpRequest).order_by(HelpRequest.id)))


def make_tracked(world, *, status: str = "new", phone: str = PHONE_E164, **kwargs) -> HelpRequest:
    request = factories.make_request(world.station_a, status=status, contact_phone=phone, **kwargs)
    from app.services import workflow

    workflow.record_event(request, "created", actor_label="resident", to_status="new")
    db.session.commit()
    return request


def look_up(client, code: str, digits: str, *, htmx: bool = False, environ_base=None):
    """The tracking look-up as a browser sends it (``environ_base``: from another address)."""
    where = {"environ_base": environ_base} if environ_base else {}
    html = client.get("/track", **where).get_data(as_text=True)
    return client.post(
        "/track",
        data={"csrf_token": csrf_token_from(html), "code": code, "last_four": digits},
        headers=HX if htmx else {},
        **where,
    )


def post_action(client, code: str, action: str, *, htmx: bool = False, **data):
    html = client.get(f"/t/{code}").get_data(as_text=True)
    data["csrf_token"] = csrf_token_from(html)
    return client.post(f"/t/{code}/{action}", data=data, headers=HX if htmx else {})


@pytest.fixture(scope="session")
def fake_geocoder_server():
    server = FakeGeocoder().start()
    yield server
    server.stop()


@pytest.fixture
def fake_geocoder(app, fake_geocoder_server):
    """The fake server, emptied; use ``geocoder_config(app, fake, "baidu")`` to switch on."""
    fake_geocoder_server.places.clear()
    fake_geocoder_server.requests.clear()
    yield fake_geocoder_server


@contextmanager
def geocoder_config(app, fake: FakeGeocoder, name: str, *, api_key: str | None = None):
    keys = ("GEOCODER", "GEOCODER_DOMAIN", "GEOCODER_SCHEME", "GEOCODER_API_KEY")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(
        GEOCODER=name,
        GEOCODER_DOMAIN=fake.domain,
        GEOCODER_SCHEME="http",
        GEOCODER_API_KEY=fake.api_key if api_key is None else api_key,
    )
    try:
        yield
    finally:
        app.config.update(saved)
