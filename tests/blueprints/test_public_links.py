"""Links in pages and SMS follow the address Linli is served on when PUBLIC_BASE_URL is not
set (issue 13): `make run PORT=5101` must not send residents to port 5000. Since issue 16
the resident's confirmation SMS carries no link (it says what happens next in one
segment); the confirmation page's link and the links of staff and volunteer texts do."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import HelpRequest, OutboxMessage
from app.services import links
from tests.conftest import csrf_token_from
from tests.public_support import ask_data, form_token_from


@pytest.fixture
def unset_public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "")
    monkeypatch.setitem(app.config, "SERVED_BASE_URL", "")
    return app


def ask_at(client, world, base_url: str) -> tuple[HelpRequest, OutboxMessage, str]:
    """File a request through the form served at ``base_url``: (request, its SMS, the
    confirmation page)."""
    html = client.get("/ask", base_url=base_url).get_data(as_text=True)
    data = ask_data(world)
    data["csrf_token"] = csrf_token_from(html)
    data["form_token"] = form_token_from(html)
    response = client.post("/ask", data=data, base_url=base_url)
    assert response.status_code == 303, response.get_data(as_text=True)
    done = client.get("/ask/done", base_url=base_url).get_data(as_text=True)
    request = db.session.scalars(select(HelpRequest)).one()
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.request_id == request.id)
    ).one()
    return request, message, done


def test_links_follow_the_port_the_app_is_served_on(client, world, unset_public_url):
    request, message, done = ask_at(client, world, "http://127.0.0.1:5101")
    link = f"http://127.0.0.1:5101/t/{request.code}"
    assert "http" not in message.body
    assert f'href="{link}"' in done
    assert "127.0.0.1:5000" not in message.body + done


def test_a_phone_on_the_local_network_gets_links_it_can_open(client, world, unset_public_url):
    request, _message, done = ask_at(client, world, "http://192.168.1.20:5000")
    assert f"http://192.168.1.20:5000/t/{request.code}" in done


def test_a_forged_host_header_never_reaches_an_sms(client, world, unset_public_url):
    """Without PUBLIC_BASE_URL only local hosts are believed: anyone can send any Host,
    and our SMS must not carry their link to a resident's phone."""
    request, message, done = ask_at(client, world, "http://phish.example.com")
    assert "phish.example.com" not in message.body and "http" not in message.body
    assert "phish.example.com" not in done


def test_jobs_outside_a_request_use_the_served_address(app, unset_public_url):
    app.config["SERVED_BASE_URL"] = "http://127.0.0.1:5101"
    assert links.tracking_link("K7M3QXA") == "http://127.0.0.1:5101/t/K7M3QXA"
    assert links.offer_link(7) == "http://127.0.0.1:5101/v/o/7"


def test_a_set_public_url_always_wins(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://linli.example.cn")
    request, message, done = ask_at(client, world, "http://127.0.0.1:5101")
    assert f"https://linli.example.cn/t/{request.code}" in done
    assert "5101" not in message.body + done


def test_public_url_is_unset_unless_the_environment_sets_it(monkeypatch):
    from app.config import Config

    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert Config().PUBLIC_BASE_URL == ""
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://linli.example.cn/")
    assert Config().PUBLIC_BASE_URL == "https://linli.example.cn"
