"""Volunteer management for the station admin, over HTTP."""

from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from app.models import Claim, ServiceRecord, Team, VolunteerProfile
from tests import factories
from tests.console_support import post, text


def _profile(user):
    return db.session.get(VolunteerProfile, user.id)


def test_approve_suspend_and_vet(client, world, login_as):
    admin = login_as("station_admin")
    pending = factories.make_volunteer(world.station_a, status="pending", name="新志愿者")
    page = text(client.get("/station/volunteers?status=pending"))
    assert "新志愿者" in page
    refused = post(client, f"/station/volunteers/{pending.id}/vet")
    assert refused.status_code == 422 and _profile(pending).vetted_for_children is False
    assert post(client, f"/station/volunteers/{pending.id}/approve").status_code == 302
    profile = _profile(pending)
    assert profile.status == "approved" and profile.approved_by_id == admin.id
    assert post(client, f"/station/volunteers/{pending.id}/vet").status_code == 302
    assert _profile(pending).vetted_for_children is True
    assert post(client, f"/station/volunteers/{pending.id}/suspend").status_code == 302
    assert _profile(pending).status == "suspended"
    again = post(client, f"/station/volunteers/{pending.id}/suspend")
    assert again.status_code == 422


def test_reliability_and_hours_are_shown(client, world, login_as):
    login_as("station_admin")
    volunteer = factories.make_volunteer(world.station_a, name="钱师傅")
    r = factories.make_request(world.station_a, status="closed")
    db.session.add_all(
        [
            Claim(request_id=r.id, volunteer_id=volunteer.id, status="done"),
            Claim(request_id=r.id, volunteer_id=volunteer.id, status="done"),
            Claim(request_id=r.id, volunteer_id=volunteer.id, status="done"),
            Claim(request_id=r.id, volunteer_id=volunteer.id, status="released"),
            ServiceRecord(
                request_id=r.id,
                volunteer_id=volunteer.id,
                station_id=world.station_a.id,
                category="shopping",
                hours=Decimal("2.5"),
            ),
        ]
    )
    page = text(client.get("/station/volunteers"))
    row = page[page.index("钱师傅") :][:1500]
    assert "75%" in row and "2.5" in row


def test_teams_and_leaders(client, world, login_as):
    login_as("station_admin")
    leader = factories.make_volunteer(world.station_a, name="队长甲")
    member = factories.make_volunteer(world.station_a, name="队员乙")
    pending = factories.make_volunteer(world.station_a, status="pending", name="待审丙")
    bad = post(
        client,
        "/station/teams",
        {"name": "助老服务队", "kind": "volunteer_team", "leader_id": str(pending.id)},
        page="/station/teams",
    )
    assert bad.status_code == 422 and db.session.query(Team).count() == 0
    ok = post(
        client,
        "/station/teams",
        {"name": "助老服务队", "kind": "volunteer_team", "leader_id": str(leader.id)},
        page="/station/teams",
    )
    assert ok.status_code == 302
    team = db.session.query(Team).one()
    assert team.leader_id == leader.id
    assert (
        post(client, f"/station/teams/{team.id}/add", {"volunteer_id": str(member.id)}).status_code
        == 302
    )
    assert (
        post(
            client, f"/station/teams/{team.id}/leader", {"volunteer_id": str(member.id)}
        ).status_code
        == 302
    )
    team = db.session.get(Team, team.id)
    assert team.leader_id == member.id and "team_leader" in team.leader.roles
    assert (
        post(
            client, f"/station/teams/{team.id}/remove", {"volunteer_id": str(leader.id)}
        ).status_code
        == 302
    )
    refused = post(client, f"/station/teams/{team.id}/remove", {"volunteer_id": str(member.id)})
    assert refused.status_code == 422
    team = db.session.get(Team, team.id)
    assert [m.user_id for m in team.members] == [member.id]


def test_only_station_admins_manage_volunteers(client, world, login_as):
    login_as("social_worker")
    volunteer = factories.make_volunteer(world.station_a, status="pending")
    assert client.get("/station/volunteers").status_code == 403
    assert post(client, f"/station/volunteers/{volunteer.id}/approve").status_code == 403
    assert _profile(volunteer).status == "pending"


def test_admin_of_station_b_cannot_touch_station_a_volunteers(client, world, login_as):
    login_as("station_admin", station=world.station_b)
    volunteer = factories.make_volunteer(world.station_a, status="pending", name="甲站志愿者")
    assert "甲站志愿者" not in text(client.get("/station/volunteers"))
    assert post(client, f"/station/volunteers/{volunteer.id}/approve").status_code == 404
    assert _profile(volunteer).status == "pending"
