"""Issue 13: what the county level may do to a township station's requests.

The county supervisor moves only escalated requests (item 2); a moved request follows the
receiving station's rules like one routed there in the first place (item 10); the county
centre's own workers act on what is routed or escalated to the centre and read the rest of
the county masked, with every read logged (item 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Beneficiary, HelpRequest, RequestEvent
from tests import factories
from tests.console_support import events, post, request_at, text
from tests.factories import shows_code

CHILD_PHONE = "+8613800138031"  # the guardian's phone on a child's request


def _child_request(station, **kwargs):
    person = factories.make_beneficiary(
        station,
        name="张小明",
        special_groups=["left_behind_child"],
        guardian_name="张大山",
        guardian_phone="+8613800138032",
    )
    return request_at(
        station,
        beneficiary_id=person.id,
        contact_name="张小明",
        contact_phone=CHILD_PHONE,
        for_whom="self",
        special_groups=["left_behind_child"],
        **kwargs,
    )


def _staff_station_a(world):
    """Station A has a worker of its own: the centre does not stand in for it."""
    return factories.make_user(roles=("social_worker",), station=world.station_a, name="东风社工")


def _sign_in_as(client, user):
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


# --------------------------------------------------------------------- item 2


def test_supervisor_cannot_move_a_request_that_was_never_escalated(client, world, login_as):
    login_as("county_supervisor")
    r = request_at(world.station_a)
    response = post(
        client,
        f"/station/county/r/{r.id}/station",
        {"station-station_id": str(world.station_b.id)},
        page="/station/county",
    )
    assert response.status_code == 422
    assert "只有已升级到县里的求助" in text(response)
    assert db.session.get(HelpRequest, r.id).station_id == world.station_a.id
    assert events(r.id) == []


# --------------------------------------------------------------------- item 10


def test_a_moved_childs_request_follows_the_receiving_stations_rules(client, world, login_as):
    _staff_station_a(world)
    old_worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    new_worker = factories.make_user(roles=("social_worker",), station=world.station_b)
    centre_worker = factories.make_user(roles=("social_worker",), station=world.county_centre)
    r = _child_request(world.station_a, status="accepted", escalated=True)
    login_as("county_supervisor")
    moved = post(
        client,
        f"/station/county/r/{r.id}/station",
        {"station-station_id": str(world.station_b.id)},
        page="/station/county",
    )
    assert moved.status_code == 302
    stored = db.session.get(HelpRequest, r.id)
    assert stored.station_id == world.station_b.id
    # The move settles the escalation: the receiving station takes the request over as if
    # it had been routed there, and the county's workers no longer act on it.
    assert stored.escalated is False
    assert not shows_code(text(client.get("/station/county")), r.code)  # off the escalated list

    _sign_in_as(client, new_worker)  # the receiving station serves it now
    page = text(client.get(f"/station/r/{r.id}"))
    assert "张小明" in page and "13800138031" in page and 'id="actions"' in page
    # the child's ledger record stays with station A: no link that only answers 404
    assert f"/station/ledger/{r.beneficiary_id}" not in page

    _sign_in_as(client, old_worker)  # the old station no longer sees it at all
    assert client.get(f"/station/r/{r.id}").status_code == 404

    _sign_in_as(client, centre_worker)  # the centre reads it masked and cannot act
    page = text(client.get(f"/station/r/{r.id}"))
    assert "张小明" not in page and "13800138031" not in page and "138********" in page
    assert 'id="actions"' not in page
    response = post(client, f"/station/r/{r.id}/note", {"note-note": "x"})
    assert response.status_code == 403  # it reads the request: no secret that it exists


def test_a_move_withdraws_the_old_stations_open_offers(client, world, login_as):
    """Offered to station A's volunteers, then moved: the offers are withdrawn (the
    volunteer is told by SMS) and the request waits for station B to offer it again."""
    from datetime import timedelta

    from app.models import Offer, OutboxMessage
    from app.models.base import utcnow

    _staff_station_a(world)
    factories.make_user(roles=("social_worker",), station=world.station_b)
    volunteer = factories.make_volunteer(world.station_a, vetted_for_children=True)
    r = _child_request(world.station_a, status="offered", escalated=True)
    offer = Offer(
        request_id=r.id,
        volunteer_id=volunteer.id,
        reply_code="W7KQ",
        expires_at=utcnow() + timedelta(hours=1),
    )
    db.session.add(offer)
    login_as("county_supervisor")
    moved = post(
        client,
        f"/station/county/r/{r.id}/station",
        {"station-station_id": str(world.station_b.id)},
        page="/station/county",
    )
    assert moved.status_code == 302
    stored = db.session.get(HelpRequest, r.id)
    assert (stored.station_id, stored.status) == (world.station_b.id, "accepted")
    assert db.session.get(Offer, offer.id).status == "withdrawn"
    told = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "offer_withdrawn")
    ).all()
    assert [m.to_phone for m in told] == [volunteer.phone]


def test_a_request_a_station_worker_is_doing_does_not_move_away_from_them(client, world, login_as):
    """Moved away, the worker assigned to it could no longer open it: the supervisor is
    told to have it handed back first, and nothing moves."""
    from app.models import Claim

    worker = _staff_station_a(world)
    r = request_at(world.station_a, status="assigned", escalated=True, assigned_worker_id=worker.id)
    db.session.add(Claim(request_id=r.id, worker_id=worker.id, via="assign", status="active"))
    login_as("county_supervisor")
    response = post(
        client,
        f"/station/county/r/{r.id}/station",
        {"station-station_id": str(world.station_b.id)},
        page="/station/county",
    )
    assert response.status_code == 422
    assert worker.name in text(response)
    stored = db.session.get(HelpRequest, r.id)
    assert (stored.station_id, stored.escalated) == (world.station_a.id, True)


# --------------------------------------------------------------------- item 12


def test_centre_worker_reads_a_township_request_masked_and_logged(client, world, login_as):
    _staff_station_a(world)
    child = _child_request(world.station_a)
    adult = request_at(world.station_a, contact_name="钱大妈", contact_phone="+8613800138033")
    worker = login_as("social_worker", station=world.county_centre)
    queue = text(client.get("/station/"))
    # The whole county's queue, by number: the tracking codes stay with those who serve.
    assert f"#{child.id}" in queue and f"#{adult.id}" in queue
    assert not shows_code(queue, child.code) and not shows_code(queue, adult.code)
    page = text(client.get(f"/station/r/{child.id}"))
    assert f"#{child.id}" in page and "张小明" not in page and "13800138031" not in page
    assert "138********" in page and 'id="actions"' not in page
    page = text(client.get(f"/station/r/{adult.id}"))
    assert "13800138033" not in page and "138********" in page and 'id="actions"' not in page
    read = {
        (e.actor_id, e.object_id, e.station_id)
        for e in db.session.scalars(select(AuditLog).where(AuditLog.object_type == "help_request"))
    }
    assert read == {
        (worker.id, child.id, world.station_a.id),
        (worker.id, adult.id, world.station_a.id),
    }


ATTACKS = {
    "accept": {"accept-note": "x"},
    "reject": {"reject-reason": "不在服务范围"},
    "edit": {"edit-category": "meal_delivery", "edit-urgency": "urgent", "edit-address": "x"},
    "escalate": {"escalate-note": "x"},
    "merge": {"merge-target": ""},
    "note": {"note-note": "看过了", "note-public": "y"},
    "close": {"close-outcome": "办完了"},
    "assign": {"assign-target": ""},
    "offer": {},
}


STATUS_FOR = {"accept": "new", "reject": "new", "close": "done"}  # where the move is legal


def _rows() -> dict[str, int]:
    from app.models import Claim, Offer, OutboxMessage

    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (HelpRequest, RequestEvent, Offer, Claim, OutboxMessage, AuditLog)
    }


@pytest.mark.parametrize("action", sorted(ATTACKS))
def test_centre_worker_cannot_act_on_a_township_request(client, world, login_as, action):
    """Hand-made posts with a valid CSRF token, as someone editing the page would."""
    _staff_station_a(world)
    volunteer = factories.make_volunteer(world.station_a, vetted_for_children=True)
    target = request_at(world.station_a)
    r = request_at(world.station_a, status=STATUS_FOR.get(action, "accepted"))
    data = dict(ATTACKS[action])
    if action == "merge":
        data["merge-target"] = target.code
    if action == "assign":
        data["assign-target"] = f"volunteer:{volunteer.id}"
    login_as("social_worker", station=world.county_centre)
    token_page = "/station/ledger"
    before = _rows()
    status_before = r.status
    response = post(client, f"/station/r/{r.id}/{action}", data, page=token_page)
    assert response.status_code == 403  # reads it (masked), may not act on it
    db.session.expire_all()
    assert _rows() == before
    stored = db.session.get(HelpRequest, r.id)
    assert (stored.status, stored.category, stored.escalated) == (status_before, "shopping", False)


def test_centre_worker_acts_on_what_is_escalated_or_routed_to_the_centre(client, world, login_as):
    _staff_station_a(world)
    escalated = _child_request(world.station_a, escalated=True)
    at_centre = request_at(world.county_centre, contact_phone="+8613800138034")
    login_as("social_worker", station=world.county_centre)
    page = text(client.get(f"/station/r/{escalated.id}"))
    assert 'id="actions"' in page and "张小明" in page and "13800138031" in page
    assert (
        post(client, f"/station/r/{escalated.id}/note", {"note-note": "县中心跟进"}).status_code
        == 302
    )
    assert events(escalated.id, "note")[0].note == "县中心跟进"
    page = text(client.get(f"/station/r/{at_centre.id}"))
    assert 'id="actions"' in page and "13800138034" in page
    assert post(client, f"/station/r/{at_centre.id}/accept").status_code == 302
    assert db.session.get(HelpRequest, at_centre.id).status != "new"


def test_centre_stands_in_for_a_station_without_workers(client, world, login_as):
    """Station B has no worker of its own: its alerts go to the centre, which acts on it."""
    r = request_at(world.station_b, contact_phone="+8613800138035")
    login_as("social_worker", station=world.county_centre)
    page = text(client.get(f"/station/r/{r.id}"))
    assert 'id="actions"' in page and "13800138035" in page
    assert post(client, f"/station/r/{r.id}/note", {"note-note": "代为跟进"}).status_code == 302


def test_centre_worker_ledger_and_export_hold_only_the_centres_people(client, world, login_as):
    _staff_station_a(world)
    theirs = factories.make_beneficiary(
        world.station_a, name="王小红", phone="+8613800138036", special_groups=["left_behind_child"]
    )
    mine = factories.make_beneficiary(world.county_centre, name="刘爷爷")
    login_as("social_worker", station=world.county_centre)
    listing = text(client.get("/station/ledger"))
    assert "刘爷爷" in listing and "王小红" not in listing
    export = text(client.get("/station/ledger/export.csv"))
    assert "刘爷爷" in export and "王小红" not in export and "8036" not in export
    assert client.get(f"/station/ledger/{theirs.id}").status_code == 404
    plan = post(client, f"/station/ledger/{theirs.id}/plan", {"visit_interval_days": "7"})
    assert plan.status_code == 404
    assert db.session.get(Beneficiary, theirs.id).visit_interval_days is None
    assert client.get(f"/station/ledger/{mine.id}").status_code == 200
    proxy = text(client.get("/proxy"))
    assert "王小红" not in proxy and "刘爷爷" in proxy


def test_centre_admin_manages_only_the_centres_volunteers_and_teams(client, world, login_as):
    _staff_station_a(world)
    pending = factories.make_volunteer(world.station_a, status="pending", name="赵待审")
    leader = factories.make_volunteer(world.station_a, name="钱队长")
    member = factories.make_volunteer(world.station_a, name="孙队员")
    team = factories.make_team(world.station_a, leader, name="东风助老队")
    login_as("station_admin", station=world.county_centre)
    assert "赵待审" not in text(client.get("/station/volunteers"))
    assert "东风助老队" not in text(client.get("/station/teams"))
    response = post(client, f"/station/volunteers/{pending.id}/approve")
    assert response.status_code == 404  # station A's people are not the centre's to see
    response = post(client, f"/station/teams/{team.id}/add", {"volunteer_id": str(member.id)})
    assert response.status_code == 404
    db.session.expire_all()
    assert pending.volunteer.status == "pending"
    assert [m.user_id for m in team.members] == [leader.id]


def test_supervisor_cannot_write_on_a_closed_request_still_flagged(client, world, login_as):
    """Second outside test: a closed request kept its escalation flag, and the county
    could still add an 'acknowledge' note to the station's finished record."""
    login_as("county_supervisor")
    r = request_at(world.station_a, status="closed", escalated=True)
    response = post(
        client, f"/station/county/r/{r.id}/ack", {"ack-note": "已阅"}, page="/station/county"
    )
    assert response.status_code == 422
    assert events(r.id) == []


def test_a_request_a_centre_worker_is_doing_does_not_move_away_from_them(client, world, login_as):
    """Code review: the check read what the doer may *see* (the whole county, for the
    centre), so the move went through and ended the escalation the centre worker acted by."""
    from app.models import Claim

    _staff_station_a(world)
    factories.make_user(roles=("social_worker",), station=world.station_b)
    centre_worker = factories.make_user(roles=("social_worker",), station=world.county_centre)
    r = request_at(
        world.station_a, status="assigned", escalated=True, assigned_worker_id=centre_worker.id
    )
    db.session.add(
        Claim(request_id=r.id, worker_id=centre_worker.id, via="assign", status="active")
    )
    login_as("county_supervisor")
    response = post(
        client,
        f"/station/county/r/{r.id}/station",
        {"station-station_id": str(world.station_b.id)},
        page="/station/county",
    )
    assert response.status_code == 422
    stored = db.session.get(HelpRequest, r.id)
    assert (stored.station_id, stored.escalated) == (world.station_a.id, True)


def test_a_moved_request_takes_no_duplicate_mark_to_the_new_station(client, world, login_as):
    """Marks stay within one station: after a move, the new station learns nothing of the
    phone's request at the old one."""
    _staff_station_a(world)
    new_worker = factories.make_user(roles=("social_worker",), station=world.station_b)
    first = request_at(world.station_a, contact_phone="+8613800138055")
    repeat = request_at(
        world.station_a,
        contact_phone="+8613800138055",
        escalated=True,
        possible_duplicate_of_id=first.id,
    )
    login_as("county_supervisor")
    moved = post(
        client,
        f"/station/county/r/{repeat.id}/station",
        {"station-station_id": str(world.station_b.id)},
        page="/station/county",
    )
    assert moved.status_code == 302
    assert db.session.get(HelpRequest, repeat.id).possible_duplicate_of_id is None
    _sign_in_as(client, new_worker)
    page = text(client.get(f"/station/r/{repeat.id}"))
    assert "可能重复" not in page and f"#{first.id}" not in page


def test_an_edit_does_not_move_a_request_away_from_the_worker_doing_it(app, world):
    """Code review: the centre, standing in for station B (no staff of its own), moved a
    request its own worker was doing to staffed station A by its village: the worker could
    no longer act on it."""
    from app.models import Claim
    from app.services import ServiceError, console

    _staff_station_a(world)
    centre_worker = factories.make_user(roles=("social_worker",), station=world.county_centre)
    r = request_at(
        world.station_b,
        status="assigned",
        village=world.village_b1,
        assigned_worker_id=centre_worker.id,
    )
    db.session.add(
        Claim(request_id=r.id, worker_id=centre_worker.id, via="assign", status="active")
    )
    db.session.commit()
    with pytest.raises(ServiceError, match=centre_worker.name):
        console.edit(
            r,
            centre_worker,
            category=r.category,
            urgency=r.urgency,
            village_id=world.village_a2.id,
            address="",
            lat=None,
            lon=None,
        )
    db.session.rollback()
    assert db.session.get(HelpRequest, r.id).station_id == world.station_b.id
