"""Review fixes on the volunteer side: the nearby-tasks page reads in a few statements."""

from contextlib import contextmanager
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Offer
from app.models.base import utcnow
from tests import factories
from tests.statements_support import each_statement
from tests.volunteer_support import fast_passwords, sign_in, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


@contextmanager
def counted_statements(app):
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with each_statement(app, count):
        yield seen


def test_nearby_tasks_and_one_task_take_a_few_statements(app, client, world):
    volunteer = volunteer_near(world, 1)
    leader = volunteer_near(world, 1)
    factories.make_team(world.station_a, leader, members=[volunteer])
    villages = [world.village_a1, world.village_a2]
    requests = []
    for i in range(30):
        person = factories.make_beneficiary(world.station_a, villages[i % len(villages)])
        requests.append(
            factories.make_request(
                world.station_a,
                status="offered",
                beneficiary_id=person.id,
                village=villages[i % len(villages)],
                lat=world.village_a1.lat,
                lon=world.village_a1.lon,
                wanted_at=utcnow() + timedelta(days=1, minutes=i),
            )
        )
    for i, request in enumerate(requests[:10]):
        db.session.add(
            Offer(
                request_id=request.id,
                volunteer_id=volunteer.id,
                round=1,
                rank=1,
                distance_km=1.0,
                reasons=[],
                reply_code=f"K{i:03d}",
                status="pending",
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    sign_in(client, volunteer)
    with counted_statements(app) as seen:
        page = client.get("/v/tasks")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="list-item task-item') == 30
    assert html.count("badge-offer") == 10
    assert len(seen) <= 15, len(seen)
    with counted_statements(app) as seen:
        one = client.get(f"/v/t/{requests[20].id}")
    assert one.status_code == 200 and "代购" in one.get_data(as_text=True)
    assert len(seen) <= 12, len(seen)
