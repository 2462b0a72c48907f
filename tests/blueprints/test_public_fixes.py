"""Review fixes on the public pages, over HTTP."""

from __future__ import annotations

from app.extensions import db
from app.services import console
from tests import factories
from tests.public_support import look_up, make_tracked


def test_a_public_note_shows_on_the_timeline_an_internal_one_does_not(client, world):
    tracked = make_tracked(world)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    console.add_note(tracked, worker, "明天上午十点有人上门", public=True)
    console.add_note(tracked, worker, "家属有纠纷，注意安全", public=False)
    db.session.commit()
    response = look_up(client, tracked.code, "8000")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "社工站留言：明天上午十点有人上门" in page
    assert "家属有纠纷" not in page
