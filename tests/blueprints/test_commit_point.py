"""One commit point per web request (issue 14): the boundary commits once when the view
returns, a refused use case leaves nothing behind, a view that fails commits nothing, and
the access-log line of a page is in the page's one commit."""

from __future__ import annotations

import pytest
from flask import has_request_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import AuditLog, HelpRequest, RequestEvent
from tests.console_support import post, request_at


@pytest.fixture
def commits():
    """How many transactions were committed, by any session, while the test ran."""
    count = [0]

    def counted(_session):
        if has_request_context():  # the test's own session commits outside requests
            count[0] += 1

    event.listen(Session, "after_commit", counted)
    yield count
    event.remove(Session, "after_commit", counted)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_page_with_personal_data_commits_its_log_line_once(client, world, login_as, commits):
    login_as("social_worker")
    child = request_at(world.station_a, special_groups=["left_behind_child"])
    db.session.commit()
    before = commits[0]
    assert client.get(f"/station/r/{child.id}").status_code == 200
    assert commits[0] - before == 1
    assert _count(AuditLog, AuditLog.object_id == child.id) == 1


def test_a_refused_action_leaves_nothing_but_the_page_log(client, world, login_as, commits):
    login_as("social_worker")
    child = request_at(world.station_a, special_groups=["left_behind_child"], status="closed")
    db.session.commit()
    before_events = _count(RequestEvent, RequestEvent.request_id == child.id)
    response = post(client, f"/station/r/{child.id}/accept", {"accept-note": "好"})
    assert response.status_code == 422
    assert "该求助当前为“已办结”，现在不能受理。" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, child.id).status == "closed"
    assert _count(RequestEvent, RequestEvent.request_id == child.id) == before_events
    # The 422 page showed the child's request: its line is in the log all the same.
    assert _count(AuditLog, AuditLog.object_id == child.id) == 1


def test_a_view_that_fails_commits_nothing(app, client, world, commits, monkeypatch):
    from app.services import workflow

    request = request_at(world.station_a)
    db.session.commit()

    def half_done():
        workflow.record_event(db.session.get(HelpRequest, request.id), "note", note="半截")
        db.session.flush()
        raise RuntimeError("the view fails after writing")

    monkeypatch.setitem(app.view_functions, "main.home", half_done)
    monkeypatch.setitem(app.config, "SHOW_ERROR_PAGES", True)
    before = commits[0]
    assert client.get("/").status_code == 500
    assert commits[0] == before
    assert _count(RequestEvent, RequestEvent.note == "半截") == 0


def test_a_request_that_never_used_the_database_makes_no_session(client, monkeypatch):
    """The commit point asks the session whether it began only when one was made: the bare
    endpoint (the benchmarks' baseline, a load balancer's probe) makes none."""
    made = []
    registry = db.session.registry
    real = registry.createfunc

    def counted():
        if has_request_context():  # the test's own session is made outside requests
            made.append(1)
        return real()

    monkeypatch.setattr(registry, "createfunc", counted)
    assert client.get("/healthz").status_code == 200
    assert made == []
