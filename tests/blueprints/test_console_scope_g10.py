"""Issue 13, second round of the outside tester's findings on the county scope.

A: a possible-duplicate mark never points at another station's request (filing through
/proxy must not tell a worker whether a phone has an open request elsewhere).
B: the resident-facing page of a merged request says nothing about the other request.
C: the county centre assigns only to people who may act on the request.
D: acting only through escalation, the centre cannot move a request by editing its village.
E: the queue shows no description of a request the reader cannot act on (only the logged
request page does)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import HelpRequest
from app.services import console, intake
from app.services.codes import code_text
from tests import factories
from tests.console_support import events, outbox, post, request_at, text
from tests.factories import shows_code
from tests.public_support import look_up, post_ask

PHONE = "+8613900139000"
PHONE_TYPED = "139 0013 9000"


def _sign_in_as(client, user):
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


def _proxy_data(township, village, **overrides):
    data = {
        "channel": "hotline",
        "contact_name": "张桂兰",
        "phone": PHONE_TYPED,
        "category": "emotional_support",
        "for_whom": "neighbour",
        "description": "想找人聊聊",
        "township": str(township.id),
        "village": str(village.id),
        "consent_by": "本人",
        "consent_method": "spoken_phone",
        "consent": "y",
        "wanted_when": "asap",
    }
    data.update(overrides)
    return data


def _newest_request() -> HelpRequest:
    db.session.expire_all()
    return db.session.scalars(select(HelpRequest).order_by(HelpRequest.id.desc())).first()


# --------------------------------------------------------------------- A


def test_filing_at_another_station_learns_nothing_of_an_open_request_there(client, world, login_as):
    earlier = request_at(
        world.station_a, village=world.village_a2, contact_phone=PHONE, category="emotional_support"
    )
    db.session.commit()
    login_as("social_worker", station=world.station_b)
    response = post_ask(
        client, world, path="/proxy", **_proxy_data(world.township_b, world.village_b1)
    )
    assert response.status_code == 303
    created = _newest_request()
    assert created.id != earlier.id and created.station_id == world.station_b.id
    assert created.possible_duplicate_of_id is None
    assert events(created.id, "possible_duplicate") == []
    assert outbox("duplicate_still_open") == []  # its SMS page would name the earlier one

    page = text(client.get(f"/station/r/{created.id}"))
    assert 'id="possible-duplicate"' not in page and "可能重复" not in page
    assert not shows_code(page, earlier.code) and f"#{earlier.id}" not in page
    assert world.station_a.name not in page
    queue = text(client.get("/station/?tab=new"))
    assert "可能重复" not in queue and f"#{earlier.id}" not in queue


def test_a_repeat_at_the_same_station_is_still_marked(client, world, login_as):
    earlier = request_at(
        world.station_a, village=world.village_a2, contact_phone=PHONE, category="emotional_support"
    )
    db.session.commit()
    login_as("social_worker", station=world.station_a)
    response = post_ask(
        client, world, path="/proxy", **_proxy_data(world.township_a, world.village_a2)
    )
    assert response.status_code == 303
    created = _newest_request()
    assert created.station_id == world.station_a.id
    assert created.possible_duplicate_of_id == earlier.id
    assert len(events(created.id, "possible_duplicate")) == 1
    assert len(outbox("duplicate_still_open")) == 1
    assert 'id="possible-duplicate"' in text(client.get(f"/station/r/{created.id}"))


def test_the_service_marks_only_a_duplicate_served_by_the_same_station(world):
    elsewhere = request_at(world.station_b, contact_phone=PHONE, category="shopping")
    created = intake.submit_request(
        category="shopping", village_id=world.village_a2.id, contact_phone=PHONE
    )
    assert created.station_id == world.station_a.id
    assert created.possible_duplicate_of_id is None
    here = intake.submit_request(
        category="shopping", village_id=world.village_a2.id, contact_phone=PHONE
    )
    assert here.possible_duplicate_of_id == created.id != elsewhere.id


# --------------------------------------------------------------------- B


def test_a_merged_request_tells_its_tracker_nothing_about_the_other_one(client, world):
    from tests.public_support import PHONE_E164

    earlier = intake.submit_request(
        category="shopping", village_id=world.village_a2.id, contact_phone=PHONE_E164
    )
    stranger = intake.submit_request(
        category="shopping", village_id=world.village_a2.id, contact_phone=PHONE_E164
    )
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    console.merge(stranger, worker, earlier)
    db.session.commit()

    response = look_up(client, stranger.code, "8000")
    assert response.status_code == 303
    page = text(client.get(f"/t/{stranger.code}"))
    assert "社工站关闭" in page  # a plain word on what happened
    for leak in (earlier.code, "合并", "另一个", "another request", "Merged"):
        assert leak not in page, leak
    # The staff timeline keeps its wording.
    [merge] = events(stranger.id, "merge")
    assert code_text(earlier.code) in merge.note


# --------------------------------------------------------------------- C


def _escalated_at_staffed_station_a(world, **kwargs):
    factories.make_user(roles=("social_worker",), station=world.station_a, name="东风社工")
    return request_at(
        world.station_a, village=world.village_a2, status="accepted", escalated=True, **kwargs
    )


def _assign_choices(page: str) -> str:
    match = re.search(r'<select[^>]*name="assign-target".*?</select>', page, re.S)
    assert match, "no assign list"
    return match.group(0)


def test_the_centre_cannot_assign_a_worker_who_cannot_open_the_request(client, world, login_as):
    r = _escalated_at_staffed_station_a(world)
    other = factories.make_user(roles=("social_worker",), station=world.station_b, name="柳林社工")
    own = factories.make_user(roles=("social_worker",), station=world.station_a, name="东风二号")
    login_as("social_worker", station=world.county_centre)

    choices = _assign_choices(text(client.get(f"/station/r/{r.id}")))
    assert f'value="worker:{other.id}"' not in choices
    assert f'value="worker:{own.id}"' in choices

    response = post(client, f"/station/r/{r.id}/assign", {"assign-target": f"worker:{other.id}"})
    assert response.status_code == 422
    assert "不能打开这个求助" in text(response)
    stored = db.session.get(HelpRequest, r.id)
    assert (stored.status, stored.assigned_worker_id) == ("accepted", None)

    response = post(client, f"/station/r/{r.id}/assign", {"assign-target": f"worker:{own.id}"})
    assert response.status_code == 302
    assert db.session.get(HelpRequest, r.id).assigned_worker_id == own.id


def test_the_centre_assigns_no_volunteer_or_team_of_an_uninvolved_station(client, world, login_as):
    r = _escalated_at_staffed_station_a(world)
    factories.make_user(roles=("social_worker",), station=world.station_b)  # B is staffed
    far = factories.make_volunteer(world.station_b, name="柳林志愿者")
    far_team = factories.make_team(world.station_b, factories.make_volunteer(world.station_b))
    near = factories.make_volunteer(world.station_a, name="东风志愿者")
    login_as("social_worker", station=world.county_centre)

    choices = _assign_choices(text(client.get(f"/station/r/{r.id}")))
    assert f'value="volunteer:{far.id}"' not in choices
    assert f'value="team:{far_team.id}"' not in choices
    assert f'value="volunteer:{near.id}"' in choices

    for target, message in (
        (f"volunteer:{far.id}", "请从列表中选择由谁来做。"),
        (f"team:{far_team.id}", "请从列表中选择由谁来做。"),
    ):
        response = post(client, f"/station/r/{r.id}/assign", {"assign-target": target})
        assert response.status_code == 422, target
        assert message in text(response)
        assert db.session.get(HelpRequest, r.id).status == "accepted"

    response = post(client, f"/station/r/{r.id}/assign", {"assign-target": f"volunteer:{near.id}"})
    assert response.status_code == 302
    assert db.session.get(HelpRequest, r.id).assigned_volunteer_id == near.id


def test_a_township_worker_still_assigns_their_own_stations_people(client, world, login_as):
    r = request_at(world.station_b, status="accepted")
    volunteer = factories.make_volunteer(world.station_b, lat=34.90, lon=113.80)
    foreign = factories.make_volunteer(world.station_a)
    login_as("social_worker", station=world.station_b)
    choices = _assign_choices(text(client.get(f"/station/r/{r.id}")))
    assert f'value="volunteer:{volunteer.id}"' in choices
    assert f'value="volunteer:{foreign.id}"' not in choices
    response = post(
        client, f"/station/r/{r.id}/assign", {"assign-target": f"volunteer:{foreign.id}"}
    )
    assert response.status_code == 422
    response = post(
        client, f"/station/r/{r.id}/assign", {"assign-target": f"volunteer:{volunteer.id}"}
    )
    assert response.status_code == 302


# --------------------------------------------------------------------- D


def _edit(client, r, village, **extra):
    data = {
        "edit-category": r.category,
        "edit-urgency": r.urgency,
        "edit-village_id": str(village.id),
        "edit-address": "",
    }
    data.update(extra)
    return post(client, f"/station/r/{r.id}/edit", data)


def test_the_centre_cannot_move_an_escalated_request_by_its_village(client, world, login_as):
    shegong = factories.make_user(roles=("social_worker",), station=world.station_a)
    r = request_at(world.station_a, village=world.village_a2, status="accepted", escalated=True)
    login_as("social_worker", station=world.county_centre)  # station B has no staff

    page = text(client.get(f"/station/r/{r.id}"))
    edit_villages = re.search(r'<select[^>]*name="edit-village_id".*?</select>', page, re.S)
    assert edit_villages and world.village_b1.name not in edit_villages.group(0)
    assert world.village_a2.name in edit_villages.group(0)

    response = _edit(client, r, world.village_b1)
    assert response.status_code == 422
    assert "县级督导" in text(response)
    stored = db.session.get(HelpRequest, r.id)
    assert (stored.station_id, stored.village_id, stored.escalated) == (
        world.station_a.id,
        world.village_a2.id,
        True,
    )
    assert events(r.id, "edit") == [] and events(r.id, "reassign_station") == []
    _sign_in_as(client, shegong)
    assert client.get(f"/station/r/{r.id}").status_code == 200


def test_the_centre_still_corrects_an_escalated_request_in_place(client, world, login_as):
    factories.make_user(roles=("social_worker",), station=world.station_a)
    r = request_at(world.station_a, village=world.village_a2, status="accepted", escalated=True)
    login_as("social_worker", station=world.county_centre)
    response = _edit(client, r, world.village_a2, **{"edit-urgency": "urgent"})
    assert response.status_code == 302
    stored = db.session.get(HelpRequest, r.id)
    assert (stored.urgency, stored.station_id) == ("urgent", world.station_a.id)


def test_a_stations_own_move_by_village_ends_the_escalation(client, world, login_as):
    r = request_at(world.station_a, village=world.village_a2, status="accepted", escalated=True)
    login_as("social_worker", station=world.station_a)
    response = _edit(client, r, world.village_a1)  # the village has a room of its own
    assert response.status_code == 302
    stored = db.session.get(HelpRequest, r.id)
    assert (stored.station_id, stored.escalated) == (world.room_a1.id, False)
    assert len(events(r.id, "reassign_station")) == 1


# --------------------------------------------------------------------- E


def test_the_county_queue_shows_no_description_of_requests_it_only_reads(client, world, login_as):
    shegong = factories.make_user(roles=("social_worker",), station=world.station_a)
    theirs = request_at(
        world.station_a, description="家里有人情绪很低落需要倾诉", address="老槐树下三号院"
    )
    request_at(world.county_centre, description="县中心自己的求助要买药")
    request_at(world.station_a, description="升级上来的求助请县里派人", escalated=True)
    db.session.commit()
    login_as("social_worker", station=world.county_centre)
    for headers in ({}, {"HX-Request": "true"}):
        page = text(client.get("/station/?tab=new", headers=headers))
        assert f"#{theirs.id}" in page  # the row is there: category, village, status
        assert "家里有人情绪很低落" not in page and "老槐树下" not in page
        assert "县中心自己的求助" in page  # what the centre acts on keeps its snippet
        assert "升级上来的求助" in page
    # The station's own worker still sees their descriptions.
    _sign_in_as(client, shegong)
    assert "家里有人情绪很低落" in text(client.get("/station/?tab=new"))
