"""The request state machine: every allowed move, and forbidden ones refused cleanly."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import RequestEvent
from app.services import ServiceError, workflow
from tests import factories

ALLOWED = [
    ("new", "accept", "accepted"),
    ("new", "reject", "rejected"),
    ("new", "cancel", "cancelled"),
    ("new", "merge", "cancelled"),
    ("accepted", "offer", "offered"),
    ("accepted", "assign", "assigned"),
    ("accepted", "cancel", "cancelled"),
    ("accepted", "merge", "cancelled"),
    ("offered", "offer", "offered"),
    ("offered", "claim", "assigned"),
    ("offered", "assign", "assigned"),
    ("offered", "cancel", "cancelled"),
    ("offered", "merge", "cancelled"),
    ("assigned", "release", "offered"),
    ("assigned", "check_in", "in_progress"),
    ("assigned", "close", "closed"),
    ("in_progress", "check_out", "done"),
    ("in_progress", "close", "closed"),
    ("done", "confirm", "closed"),
    ("done", "auto_close", "closed"),
    ("done", "close", "closed"),
    ("done", "reopen", "assigned"),
]


def test_the_table_is_covered_by_these_tests():
    table = {(s, a, m.target) for a, m in workflow.MOVES.items() for s in m.sources}
    assert table == set(ALLOWED)


@pytest.mark.parametrize(("source", "action", "target"), ALLOWED)
def test_allowed_move_changes_status_and_records_event(world, source, action, target):
    request = factories.make_request(world.station_a, status=source)
    event = workflow.transition(request, action, actor_label="test", note="为什么")
    db.session.commit()
    assert request.status == target
    stored = db.session.get(RequestEvent, event.id)
    assert (stored.from_status, stored.to_status, stored.action, stored.note) == (
        source,
        target,
        action,
        "为什么",
    )
    assert stored.request_id == request.id


FORBIDDEN = [
    ("new", "claim"),
    ("new", "check_in"),
    ("new", "confirm"),
    ("accepted", "accept"),
    ("assigned", "cancel"),
    ("in_progress", "release"),
    ("done", "cancel"),
    ("closed", "reopen"),
    ("closed", "accept"),
    ("rejected", "accept"),
    ("cancelled", "offer"),
    ("offered", "check_out"),
]


@pytest.mark.parametrize(("source", "action"), FORBIDDEN)
def test_forbidden_move_is_refused_and_changes_nothing(world, source, action):
    request = factories.make_request(world.station_a, status=source)
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        workflow.transition(request, action)
    assert workflow.status_label(source) in refused.value.message
    db.session.commit()
    assert request.status == source
    count = db.session.scalar(select(func.count(RequestEvent.id)))
    assert count == 0


def test_unknown_action_is_refused(world):
    request = factories.make_request(world.station_a)
    with pytest.raises(ServiceError):
        workflow.transition(request, "teleport")


def test_timestamps_for_reports(world):
    request = factories.make_request(world.station_a)
    for action in ("accept", "offer", "claim", "check_in", "check_out"):
        workflow.transition(request, action)
    assert request.accepted_at and request.assigned_at and request.started_at and request.done_at
    workflow.transition(request, "reopen")
    assert request.done_at is None and request.started_at is None
    assert request.status == "assigned"


def test_release_clears_assignment_time(world):
    request = factories.make_request(world.station_a, status="offered")
    workflow.transition(request, "claim")
    workflow.transition(request, "release", note="临时有事")
    assert request.assigned_at is None and request.status == "offered"


def test_escalation_is_a_flag_not_a_state(world):
    request = factories.make_request(world.station_a, status="offered")
    workflow.escalate(request, note="无人接单")
    assert request.escalated and request.status == "offered"
    with pytest.raises(ServiceError):
        workflow.escalate(request)
    closed = factories.make_request(world.station_a, status="closed")
    with pytest.raises(ServiceError):
        workflow.escalate(closed)
