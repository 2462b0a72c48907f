"""Review fixes on the public pages, over HTTP."""

from __future__ import annotations

from app.extensions import db
from app.services import console
from app.services.codes import code_text
from tests import factories
from tests.factories import shows_code
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


def test_another_browsers_form_token_opens_nothing(app, client, world):
    """A token is a key to the request it filed: posted from another browser it is not
    taken, and that post files its own request (found by the issue-14 outside pass)."""
    from tests.public_support import open_form, post_ask, requests_in_db

    _html, _csrf, token = open_form(client)
    assert post_ask(client, world, token=token).status_code == 303
    [theirs] = requests_in_db()
    stranger = app.test_client()
    answer = post_ask(stranger, world, token=token, phone="13912345678", description="别人的事")
    assert answer.status_code == 303
    done = stranger.get("/ask/done").get_data(as_text=True)
    mine = [r for r in requests_in_db() if r.id != theirs.id]
    assert len(mine) == 1 and mine[0].description == "别人的事"
    assert not shows_code(done, theirs.code) and code_text(mine[0].code) in done
    follow = stranger.get(f"/t/{theirs.code}").get_data(as_text=True)
    assert "取消求助" not in follow  # the code form, not the request's page
