"""Claims: first wins (also under 50 threads at once), release, check-in/out, teams."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Claim, HelpRequest, Offer, RequestEvent, ServiceRecord, User
from app.services import ServiceError, claims, offers
from app.services.codes import code_text
from tests import factories
from tests.volunteer_support import fast_passwords, request_in_a1, sms_to, volunteer_near

TAKEN = "不好意思，这个任务刚刚被别人接走了"

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


def events(request):
    return db.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(RequestEvent.id)
    ).all()


def test_the_first_claim_wins_and_the_second_is_told_kindly(world):
    first, second = volunteer_near(world, 1), volunteer_near(world, 2)
    request = request_in_a1(world)
    offers.send_offers(request)
    claim = claims.claim(request, volunteer=first)
    assert request.status == "assigned" and request.assigned_volunteer_id == first.id
    assert claim.status == "active" and claim.volunteer_id == first.id
    last = events(request)[-1]
    assert (last.action, last.from_status, last.to_status, last.actor_id) == (
        "claim",
        "offered",
        "assigned",
        first.id,
    )
    with pytest.raises(ServiceError) as refused:
        claims.claim(request, volunteer=second)
    assert TAKEN in refused.value.message
    statuses = {
        o.volunteer_id: o.status
        for o in db.session.scalars(select(Offer).where(Offer.request_id == request.id))
    }
    assert statuses == {first.id: "accepted", second.id: "closed"}
    [told] = sms_to(request.contact_phone, "request_claimed")
    assert code_text(request.code) in told.body and first.first_name in told.body


def test_a_stale_copy_loses_too(world):
    """The loser's own object still says 'offered': the conditional update decides."""
    first, second = volunteer_near(world, 1), volunteer_near(world, 2)
    request = request_in_a1(world, status="offered")
    db.session.commit()
    db.session.execute(
        HelpRequest.__table__.update()
        .where(HelpRequest.id == request.id)
        .values(status="assigned", assigned_volunteer_id=first.id)
    )
    assert request.status == "offered"  # stale in this session
    with pytest.raises(ServiceError) as refused:
        claims.claim(request, volunteer=second)
    assert TAKEN in refused.value.message
    assert db.session.scalar(select(func.count(Claim.id))) == 0
    assert db.session.get(HelpRequest, request.id).assigned_volunteer_id == first.id


def test_fifty_volunteers_claim_at_once_and_exactly_one_wins(app, world, backend):
    volunteers = [volunteer_near(world, 1 + i * 0.01) for i in range(50)]
    request = request_in_a1(world, status="offered")
    db.session.commit()
    request_id, volunteer_ids = request.id, [v.id for v in volunteers]
    barrier = threading.Barrier(50)
    results: dict[int, str] = {}

    def attempt(volunteer_id: int) -> None:
        with app.app_context():
            try:
                task = db.session.get(HelpRequest, request_id)
                volunteer = db.session.get(User, volunteer_id)
                _ = volunteer.volunteer  # loaded before the race starts
                # Give the connection back: the pool holds fewer than 50.
                db.session.commit()
                barrier.wait(timeout=60)
                claims.claim(task, volunteer=volunteer)
                db.session.commit()
                results[volunteer_id] = "won"
            except ServiceError as error:
                db.session.rollback()
                results[volunteer_id] = "refused" if TAKEN in error.message else error.message
            except Exception as error:  # noqa: BLE001 - any other error fails the test below
                db.session.rollback()
                results[volunteer_id] = f"error: {type(error).__name__}: {error}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(vid,)) for vid in volunteer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    outcomes = sorted(results.values())
    assert len(outcomes) == 50, backend
    assert outcomes.count("won") == 1, outcomes
    assert outcomes.count("refused") == 49, [o for o in outcomes if o not in ("won", "refused")]
    db.session.expire_all()
    winner = next(vid for vid, outcome in results.items() if outcome == "won")
    stored = db.session.get(HelpRequest, request_id)
    assert stored.status == "assigned" and stored.assigned_volunteer_id == winner
    assert db.session.scalar(select(func.count(Claim.id))) == 1
    claim_events = [e for e in events(stored) if e.action == "claim"]
    assert len(claim_events) == 1


def test_safeguarding_applies_to_claims_and_assignment(world):
    plain = volunteer_near(world, 1, skills=("tutoring", "crisis_intervention"))
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    child = request_in_a1(
        world, status="offered", category="tutoring", special_groups=["left_behind_child"]
    )
    with pytest.raises(ServiceError, match="未成年人"):
        claims.claim(child, volunteer=plain)
    with pytest.raises(ServiceError, match="未成年人"):
        claims.assign(child, actor=worker, volunteer=plain)
    crisis = request_in_a1(world, status="offered", category="crisis_intervention")
    with pytest.raises(ServiceError, match="社工"):
        claims.claim(crisis, volunteer=plain)
    with pytest.raises(ServiceError, match="社工"):
        claims.assign(crisis, actor=worker, volunteer=plain)
    # The worker may take it themselves.
    claim = claims.assign(crisis, actor=worker, worker=worker, note="我来跟进")
    assert crisis.status == "assigned" and crisis.assigned_worker_id == worker.id
    assert claim.worker_id == worker.id and claim.via == "assign"
    assert events(crisis)[-1].note == "我来跟进"


def test_a_pending_volunteer_and_a_full_hand_cannot_claim(world):
    pending = volunteer_near(world, 1, status="pending")
    busy = volunteer_near(world, 1, open_task_limit=1)
    with pytest.raises(ServiceError, match="审核"):
        claims.claim(request_in_a1(world, status="offered"), volunteer=pending)
    claims.claim(request_in_a1(world, status="offered"), volunteer=busy)
    with pytest.raises(ServiceError, match="1 个任务"):
        claims.claim(request_in_a1(world, status="offered"), volunteer=busy)


def test_sms_yes_with_the_reply_code(world):
    volunteer = volunteer_near(world, 1)
    request = request_in_a1(world)
    [offer] = offers.send_offers(request)
    taken = claims.accept_offer_by_code(volunteer.phone, f" {offer.reply_code.lower()} ")
    assert taken.id == request.id and request.status == "assigned"
    claim = db.session.scalars(select(Claim).where(Claim.request_id == request.id)).one()
    assert claim.via == "sms" and offer.status == "accepted"
    with pytest.raises(ServiceError):
        claims.accept_offer_by_code(volunteer.phone, offer.reply_code)
    with pytest.raises(ServiceError, match="没有找到"):
        claims.accept_offer_by_code(volunteer.phone, "QQQQ")
    with pytest.raises(ServiceError, match="没有找到"):
        claims.accept_offer_by_code("+8613000000000", offer.reply_code)


def test_an_expired_offer_cannot_be_accepted(world):
    from datetime import timedelta

    from app.models.base import utcnow

    volunteer = volunteer_near(world, 1)
    [offer] = offers.send_offers(request_in_a1(world))
    offer.expires_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(ServiceError, match="过期"):
        claims.accept_offer_by_code(volunteer.phone, offer.reply_code)


def test_release_offers_the_task_again(world):
    first, second = volunteer_near(world, 1), volunteer_near(world, 2)
    request = request_in_a1(world)
    from flask import current_app

    current_app.config["OFFER_BATCH_SIZE"] = 1
    try:
        [offer] = offers.send_offers(request)
        claim = claims.accept_offer(offer, user=first)
        with pytest.raises(ServiceError) as no_reason:
            claims.release(claim, actor=first, reason="  ")
        assert no_reason.value.field == "reason"
        with pytest.raises(ServiceError):
            claims.release(claim, actor=second, reason="不是我的")
        claims.release(claim, actor=first, reason="家里临时有事")
    finally:
        current_app.config["OFFER_BATCH_SIZE"] = 3
    assert claim.status == "released" and claim.release_reason == "家里临时有事"
    assert request.status == "offered" and request.assigned_volunteer_id is None
    pending = db.session.scalars(
        select(Offer).where(Offer.request_id == request.id, Offer.status == "pending")
    ).all()
    assert [o.volunteer_id for o in pending] == [second.id]
    assert [e.action for e in events(request)][-3:] == ["claim", "release", "offer"]
    # The one who released gets it only by claiming again like anyone else.
    claims.claim(request, volunteer=second)
    assert request.assigned_volunteer_id == second.id


def test_check_in_and_out_make_a_service_record(world):
    volunteer = volunteer_near(world, 1)
    other = volunteer_near(world, 2)
    elder = factories.make_beneficiary(world.station_a, special_groups=["elderly_alone"])
    request = request_in_a1(
        world, status="offered", beneficiary_id=elder.id, special_groups=["elderly_alone"]
    )
    claim = claims.claim(request, volunteer=volunteer)
    with pytest.raises(ServiceError):
        claims.check_in(claim, actor=other)
    claims.check_in(claim, actor=volunteer, lat=34.77, lon=113.61)
    assert request.status == "in_progress" and claim.checkin_lat == 34.77
    with pytest.raises(ServiceError) as bad_hours:
        claims.check_out(claim, actor=volunteer, outcome="买了菜", hours="abc")
    assert bad_hours.value.field == "hours"
    with pytest.raises(ServiceError) as too_many:
        claims.check_out(claim, actor=volunteer, outcome="买了菜", hours="25")
    assert too_many.value.field == "hours"
    with pytest.raises(ServiceError) as no_outcome:
        claims.check_out(claim, actor=volunteer, outcome=" ", hours="1")
    assert no_outcome.value.field == "outcome"
    record = claims.check_out(
        claim, actor=volunteer, outcome="买了菜和降压药", hours="1.5", welfare_note="精神不错"
    )
    assert request.status == "done" and claim.status == "done"
    assert record.hours == Decimal("1.50") and record.person_times == 1
    assert (record.volunteer_id, record.station_id, record.beneficiary_id) == (
        volunteer.id,
        world.station_a.id,
        elder.id,
    )
    assert record.category == "shopping" and record.special_groups == ["elderly_alone"]
    assert record.welfare_note == "精神不错" and record.started_at is not None
    [confirm] = sms_to(request.contact_phone, "request_done_confirm")
    assert code_text(request.code) in confirm.body and "解决了请回1" in confirm.body


def test_check_out_without_check_in_starts_it_first(world):
    volunteer = volunteer_near(world, 1)
    request = request_in_a1(world, status="offered")
    claim = claims.claim(request, volunteer=volunteer)
    claims.check_out(claim, actor=volunteer, outcome="已完成", hours=1)
    assert [e.action for e in events(request)][-2:] == ["check_in", "check_out"]


def test_team_claims_and_dispatch(world):
    leader = volunteer_near(world, 1, roles=("volunteer", "team_leader"))
    member = volunteer_near(world, 2)
    outsider = volunteer_near(world, 2)
    team = factories.make_team(world.station_a, leader, members=[member], skills=["cleaning"])
    request = request_in_a1(world, status="offered", category="cleaning")
    claim = claims.claim(request, team=team)
    assert claim.team_id == team.id and request.assigned_team_id == team.id
    with pytest.raises(ServiceError):
        claims.dispatch(claim, actor=member, member=member)
    with pytest.raises(ServiceError) as not_member:
        claims.dispatch(claim, actor=leader, member=outsider)
    assert not_member.value.field == "member"
    claims.dispatch(claim, actor=leader, member=member)
    assert claim.dispatched_to_id == member.id and request.assigned_volunteer_id == member.id
    [told] = sms_to(member.phone, "task_dispatched")
    assert f"/v/c/{claim.id}" in told.body
    assert claims.is_doer(claim, member) and not claims.is_doer(claim, outsider)
    claims.check_in(claim, actor=member)
    record = claims.check_out(claim, actor=member, outcome="打扫了厨房", hours="2")
    assert record.volunteer_id == member.id and record.team_id == team.id
    assert db.session.scalar(select(func.count(ServiceRecord.id))) == 1


def test_direct_assignment_to_a_volunteer(world):
    volunteer = volunteer_near(world, 1)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    request = request_in_a1(world, status="accepted")
    claim = claims.assign(request, actor=worker, volunteer=volunteer)
    assert request.status == "assigned" and claim.via == "assign"
    assert events(request)[-1].actor_id == worker.id
    assert len(sms_to(volunteer.phone, "task_assigned")) == 1
    with pytest.raises(ServiceError):
        claims.assign(request, actor=worker, volunteer=volunteer)


def test_a_suspended_volunteer_no_longer_sees_the_persons_details(world):
    volunteer = volunteer_near(world, 1)
    request = request_in_a1(world, status="offered")
    claim = claims.claim(request, volunteer=volunteer)
    assert claims.can_see_details(claim, volunteer)
    volunteer.volunteer.status = "suspended"
    db.session.flush()
    assert not claims.can_see_details(claim, volunteer)


def test_a_social_worker_assigned_the_work_can_check_in_and_out(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    other = factories.make_user(roles=("social_worker",), station=world.station_a)
    request = request_in_a1(world)
    claim = claims.assign(request, actor=worker, worker=worker)
    with pytest.raises(ServiceError):
        claims.check_in(claim, actor=other)
    claims.check_in(claim, actor=worker)
    assert request.status == "in_progress"
    record = claims.check_out(claim, actor=worker, outcome="买好了菜", hours="1.5")
    assert request.status == "done" and claim.status == "done"
    assert record.hours == Decimal("1.50") and record.volunteer_id is None
    assert claims.can_see_details(claim, worker) and not claims.can_see_details(claim, other)
