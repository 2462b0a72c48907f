"""A suspended volunteer or team leader takes nothing on: the task list shows no task to
take (not even an offer made before the suspension), and a claim is refused with words
that say what happened, not "not approved yet"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Offer
from app.models.base import utcnow
from app.services import ServiceError, claims
from tests import factories
from tests.console_support import text
from tests.volunteer_support import fast_passwords, request_in_a1, sign_in, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


def _offer(task, **who):
    db.session.add(
        Offer(
            request_id=task.id,
            reply_code="K7M3",
            status="pending",
            expires_at=utcnow() + timedelta(hours=1),
            distance_km=1.0,
            **who,
        )
    )
    db.session.commit()


def test_a_suspended_team_leader_sees_no_team_task_and_is_told_why(client, world):
    leader = volunteer_near(world, 0)
    team = factories.make_team(world.station_a, leader, skills=["shopping"], radius_km=10.0)
    task = request_in_a1(world, status="offered", category="shopping")
    _offer(task, team_id=team.id)
    sign_in(client, leader)
    assert "代购" in text(client.get("/v/tasks"))  # approved: the team's offer is there

    leader.volunteer.status = "suspended"
    db.session.commit()
    page = text(client.get("/v/tasks"))
    assert "代购" not in page
    with pytest.raises(ServiceError, match="暂停"):
        claims.claim(task, team=team)


def test_a_suspended_volunteer_sees_no_offer_made_before(client, world):
    volunteer = volunteer_near(world, 0)
    task = request_in_a1(world, status="offered", category="shopping")
    _offer(task, volunteer_id=volunteer.id)
    volunteer.volunteer.status = "suspended"
    db.session.commit()
    sign_in(client, volunteer)
    assert "代购" not in text(client.get("/v/tasks"))
    with pytest.raises(ServiceError, match="暂停"):
        claims.claim(task, volunteer=volunteer)
