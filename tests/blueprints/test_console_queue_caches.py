"""What the queue keeps from one request to the next (issue 17) never shows the wrong
thing: words in the language of the page asking, whatever was asked before it in the
same process; the station tree as it is now, after a room was added or moved."""

from app.extensions import db
from app.services import wording
from tests import factories
from tests.console_support import request_at, text


def _queue(client, lang: str) -> str:
    client.set_cookie("lang", lang)
    page = client.get("/station/?tab=new")
    assert page.status_code == 200
    return text(page)


def test_the_queue_words_follow_each_pages_language(client, world, login_as):
    login_as("social_worker")
    request_at(
        world.station_a, category="shopping", urgency="urgent", special_groups=["elderly_alone"]
    )
    db.session.commit()
    for _round in range(2):  # each language after the other, both ways
        chinese = _queue(client, "zh")
        assert "代购" in chinese and "紧急" in chinese and "独居/留守老人" in chinese
        assert "待派单" in chinese and "已等" in chinese  # a tab's name; the wait
        assert "Shopping errands" not in chinese and "To dispatch" not in chinese
        english = _queue(client, "en")
        assert "Shopping errands" in english and "Urgent" in english
        assert "Elderly living alone or left behind" in english
        assert "To dispatch" in english and "waiting" in english
        assert "代购" not in english and "待派单" not in english


def test_labels_for_answers_in_the_locale_of_the_moment(app):
    from flask_babel import force_locale

    with app.test_request_context():
        for _round in range(2):
            with force_locale("en"):
                assert wording.labels_for(category=["shopping"]) == {
                    "category": {"shopping": "Shopping errands"}
                }
            with force_locale("zh"):
                assert wording.labels_for(category=["shopping", "unknown"]) == {
                    "category": {"shopping": "代购", "unknown": "unknown"}
                }


def _codes_shown(html: str, *requests) -> set[str]:
    return {r.code for r in requests if wording.code_text(r.code) in html}


def test_a_room_added_under_the_station_shows_its_requests_at_once(client, world, login_as):
    login_as("social_worker", station=world.station_a)
    _queue(client, "zh")  # the tree as it was, read and kept
    new_room = factories.make_station(
        "桃园村社工室", "village_room", world.village_a2, world.station_a
    )
    db.session.flush()
    there = request_at(new_room)
    db.session.commit()
    assert _codes_shown(_queue(client, "zh"), there) == {there.code}


def test_a_room_moved_to_another_station_leaves_the_old_queue_at_once(app, client, world, login_as):
    login_as("social_worker", station=world.station_a)
    in_room = request_at(world.room_a1)
    db.session.commit()
    assert _codes_shown(_queue(client, "zh"), in_room) == {in_room.code}
    world.room_a1.parent_id = world.station_b.id
    db.session.commit()
    assert _codes_shown(_queue(client, "zh"), in_room) == set()  # not station_a's any more
    worker_b = factories.make_user(("social_worker",), station=world.station_b)
    db.session.commit()
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = str(worker_b.id)
        session["_fresh"] = True
    assert _codes_shown(_queue(other, "zh"), in_room) == {in_room.code}  # station_b's now
