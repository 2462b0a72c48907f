"""The request state machine: every allowed move, and forbidden ones refused cleanly."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import RequestEvent
from app.services import ServiceError, wording, workflow
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
    ("offered", "withdraw_offers", "accepted"),
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
    assert _stored_status(request.id) == target
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
    assert wording.status_label(source) in refused.value.message
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


def _stored_status(request_id):
    from app.models import HelpRequest

    return db.session.execute(
        select(HelpRequest.status).where(HelpRequest.id == request_id)
    ).scalar_one()


def test_a_move_on_a_stale_copy_is_refused_not_overwritten(world):
    """Two people act on one request at once: the second is told, the first one stands."""
    from sqlalchemy import update

    from app.models import HelpRequest

    request = factories.make_request(world.station_a, status="offered")
    db.session.commit()
    # Someone else claims it meanwhile (their own transaction, committed).
    db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == request.id)
        .values(status="assigned")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert request.status == "offered"  # our copy is stale
    with pytest.raises(ServiceError) as refused:
        workflow.transition(request, "cancel")
    assert refused.value.message == "刚才有人改动了这条求助。请刷新页面后再试。"
    db.session.rollback()
    assert _stored_status(request.id) == "assigned"
    assert db.session.scalar(select(func.count(RequestEvent.id))) == 0


def test_reaching_a_final_state_ends_the_claim_and_the_offers(world):
    from datetime import timedelta

    from app.models import Claim, Offer
    from app.models.base import utcnow

    request = factories.make_request(world.station_a, status="assigned")
    volunteer = factories.make_volunteer(world.station_a)
    other = factories.make_volunteer(world.station_a)
    claim = Claim(request_id=request.id, volunteer_id=volunteer.id, status="active")
    offer = Offer(
        request_id=request.id,
        volunteer_id=other.id,
        reply_code="ABCD",
        expires_at=utcnow() + timedelta(hours=1),
        status="pending",
    )
    db.session.add_all([claim, offer])
    db.session.commit()
    workflow.transition(request, "close", note="已电话回访解决")
    db.session.commit()
    assert _stored_status(request.id) == "closed"
    assert db.session.scalar(select(Claim.status).where(Claim.id == claim.id)) == "closed"
    assert db.session.scalar(select(Offer.status).where(Offer.id == offer.id)) == "closed"


def test_not_solved_gives_the_work_back_to_the_volunteer(world):
    from app.models import Claim
    from app.models.base import utcnow

    request = factories.make_request(world.station_a, status="done")
    volunteer = factories.make_volunteer(world.station_a)
    claim = Claim(
        request_id=request.id,
        volunteer_id=volunteer.id,
        status="done",
        checked_in_at=utcnow(),
        checked_out_at=utcnow(),
    )
    db.session.add(claim)
    db.session.commit()
    workflow.transition(request, "reopen", actor_label="resident", note="水管还是漏")
    db.session.commit()
    stored = db.session.get(Claim, claim.id)
    db.session.refresh(stored)
    assert (stored.status, stored.checked_in_at, stored.checked_out_at) == ("active", None, None)
    assert _stored_status(request.id) == "assigned"
