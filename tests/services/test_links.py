"""Every link that leaves the app is built from its endpoint and the base address."""

from __future__ import annotations

import pytest

from app.services import links


@pytest.fixture
def served_at(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "")
    monkeypatch.setitem(app.config, "SERVED_BASE_URL", "http://127.0.0.1:5101")
    return app


def test_each_link_we_send_has_its_route(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://linli.example.cn/")
    base = "https://linli.example.cn"
    assert links.tracking_link("K7M3QXA") == f"{base}/t/K7M3QXA"
    assert links.offer_link(7) == f"{base}/v/o/7"
    assert links.claim_link(8) == f"{base}/v/c/8"
    assert links.tasks_link() == f"{base}/v/tasks"
    assert links.console_request_link(9) == f"{base}/station/r/9"
    assert links.county_link() == f"{base}/station/county"
    assert links.visits_link() == f"{base}/station/visits"
    assert links.reset_link() == f"{base}/reset"
    assert links.status_callback_url(5) == f"{base}/sms/status?m=5"
    assert links.status_callback_url() == f"{base}/sms/status"


def test_outside_a_request_the_served_address_is_used(served_at):
    assert links.base_url() == "http://127.0.0.1:5101"
    assert links.tracking_link("K7M3QXA") == "http://127.0.0.1:5101/t/K7M3QXA"


def test_without_any_address_the_default(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "")
    monkeypatch.setitem(app.config, "SERVED_BASE_URL", "")
    assert links.base_url() == links.DEFAULT_BASE_URL == "http://127.0.0.1:5000"
    monkeypatch.setitem(app.config, "SERVER_NAME", "linli.local:8000")
    assert links.base_url() == "http://linli.local:8000"


def test_inside_a_request_only_a_local_host_is_believed(served_at):
    with served_at.test_request_context("/", base_url="http://192.168.1.20:5000"):
        assert links.tracking_link("K7M3QXA") == "http://192.168.1.20:5000/t/K7M3QXA"
    with served_at.test_request_context("/", base_url="http://phish.example.com"):
        assert links.base_url() == "http://127.0.0.1:5101"


def test_a_set_public_address_always_wins(served_at):
    served_at.config["PUBLIC_BASE_URL"] = "https://linli.example.cn"
    with served_at.test_request_context("/", base_url="http://127.0.0.1:5000"):
        assert links.base_url() == "https://linli.example.cn"
