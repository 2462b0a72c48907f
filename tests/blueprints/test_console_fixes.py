"""Review fixes in the station console, over HTTP."""

from __future__ import annotations

from app.extensions import db
from app.models import HelpRequest
from tests import factories
from tests.console_support import events, post, request_at, text


def test_cannot_assign_a_team_or_volunteer_of_another_station(client, world, login_as):
    login_as("social_worker")
    leader_b = factories.make_volunteer(world.station_b, name="乙队长")
    team_b = factories.make_team(world.station_b, leader_b)
    volunteer_b = factories.make_volunteer(world.station_b, name="乙志愿")
    r = request_at(world.station_a, status="accepted")
    for target in (f"team:{team_b.id}", f"volunteer:{volunteer_b.id}"):
        response = post(client, f"/station/r/{r.id}/assign", {"assign-target": target})
        assert response.status_code == 422, target
        assert "另一个" in text(response) or "another station" in text(response)
    stored = db.session.get(HelpRequest, r.id)
    assert stored.status == "accepted"
    assert stored.assigned_team_id is None and stored.assigned_volunteer_id is None
    assert events(r.id, "assign") == []
