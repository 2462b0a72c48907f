"""Issue 13, item 18 over HTTP: the station admin sets a team's weekly times."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import Team
from tests import factories
from tests.console_support import post, text

MONDAY_MORNING = [{"day": 0, "start": "08:00", "end": "12:00"}]


def _team(world, **kwargs):
    leader = factories.make_volunteer(world.station_a, name="队长甲")
    return factories.make_team(world.station_a, leader, name="助老服务队", **kwargs)


def _save(client, team, data):
    prefixed = {f"hours{team.id}-{name}": value for name, value in data.items()}
    return post(client, f"/station/teams/{team.id}/hours", prefixed, page="/station/teams")


def test_the_admin_sets_the_teams_times(client, world, login_as):
    login_as("station_admin")
    team = _team(world)
    page = text(client.get("/station/teams"))
    assert "成员有空时" in page  # no times of its own yet: it follows its members

    response = _save(
        client,
        team,
        {"slots": ["0-morning", "2-evening"], "day": "5", "start": "14:00", "end": "17:30"},
    )

    assert response.status_code == 302
    assert db.session.get(Team, team.id).availability == [
        {"day": 0, "start": "08:00", "end": "12:00"},
        {"day": 2, "start": "18:00", "end": "21:00"},
        {"day": 5, "start": "14:00", "end": "17:30"},
    ]
    page = text(client.get(response.headers["Location"]))
    assert "周一 08:00–12:00" in page and "周六 14:00–17:30" in page
    # The grid shows what is stored; the extra time is a ticked box of its own.
    assert re.search(r'value="0-morning" checked', page)
    assert re.search(r'value="5-14:00-17:30" checked', page)
    assert not re.search(r'value="1-morning" checked', page)

    # Unticking everything: back to following the members.
    assert _save(client, team, {}).status_code == 302
    assert db.session.get(Team, team.id).availability == []


def test_a_bad_time_is_refused_next_to_the_field(client, world, login_as):
    login_as("station_admin")
    team = _team(world, availability=MONDAY_MORNING)
    response = _save(client, team, {"slots": ["0-morning"], "day": "5", "start": "25:00"})
    assert response.status_code == 422
    page = text(response)
    field = page[page.index(f'id="field-hours{team.id}-start"') :][:600]
    assert "请按“时:分”填写" in field
    assert db.session.get(Team, team.id).availability == MONDAY_MORNING


def test_another_stations_admin_cannot_change_the_times(client, world, login_as):
    login_as("station_admin", station=world.station_b)
    team = _team(world, availability=MONDAY_MORNING)
    response = _save(client, team, {"slots": ["3-evening"]})
    assert response.status_code == 404
    assert db.session.get(Team, team.id).availability == MONDAY_MORNING
