"""A repeat from the same phone for the same help (issue 13, item 1), as the station sees
it: a badge in the queue, a line on the request page pointing at the earlier request, an
internal timeline event, and the earlier request offered first for merging."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import HelpRequest
from app.services import intake
from app.services.codes import code_text
from tests.console_support import events, post, text

PHONE = "+8613800138000"


def _file(world, **overrides):
    values = {
        "category": "shopping",
        "village_id": world.village_a2.id,
        "contact_phone": PHONE,
        "description": "想请人帮忙买米",
    }
    values.update(overrides)
    created = intake.submit_request(**values)
    db.session.commit()
    return created


def _queue_item(page: str, code: str) -> str:
    start = page.index(f'<span class="code">{code}</span>')
    end = page.find('<li class="list-item queue-item', start)
    return page[start : end if end != -1 else len(page)]


def test_the_queue_marks_the_repeat_as_a_possible_duplicate(client, world, login_as):
    earlier = _file(world)
    repeat = _file(world, description="还是买米的事")
    other = _file(world, contact_phone="+8613900139000")
    login_as("social_worker", station=world.station_a)
    page = text(client.get("/station/"))
    assert "可能重复" in _queue_item(page, code_text(repeat.code))
    assert "可能重复" not in _queue_item(page, code_text(earlier.code))
    assert "可能重复" not in _queue_item(page, code_text(other.code))


def test_the_request_page_points_at_the_earlier_request_and_merges_into_it(client, world, login_as):
    earlier = _file(world)
    repeat = _file(world)
    login_as("social_worker", station=world.station_a)
    page = text(client.get(f"/station/r/{repeat.id}"))
    line = re.search(r'<div[^>]*id="possible-duplicate".*?</div>', page, re.S)
    assert line, "no line about the possible duplicate"
    assert f'href="/station/r/{earlier.id}"' in line.group(0) and code_text(
        earlier.code
    ) in line.group(0)
    [event] = events(repeat.id, "possible_duplicate")
    assert event.public is False and code_text(earlier.code) in event.note
    assert "<strong>可能重复</strong>" in page  # the timeline names the event in plain words
    # The earlier request is the first merge suggestion.
    suggestions = page[page.index("merge-target") - 2000 :]
    assert code_text(earlier.code) in suggestions
    assert not re.search(r'id="possible-duplicate"', text(client.get(f"/station/r/{earlier.id}")))

    response = post(client, f"/station/r/{repeat.id}/merge", {"merge-target": earlier.code})
    assert response.status_code == 302
    stored = db.session.get(HelpRequest, repeat.id)
    assert stored.status == "cancelled" and stored.merged_into_id == earlier.id


def test_the_earlier_request_is_suggested_even_without_coordinates(client, world, login_as):
    earlier = _file(world, village_id=None, address="河口村渡口边")
    repeat = _file(world, village_id=None, address="河口村渡口")
    assert repeat.lat is None and repeat.station_id == world.county_centre.id
    login_as("social_worker", station=world.county_centre)
    page = text(client.get(f"/station/r/{repeat.id}"))
    suggestions = page[page.index("merge-target") - 2000 :]
    assert f'value="{earlier.code}"' in suggestions


def test_a_worker_can_say_it_is_not_the_same_and_the_mark_goes(client, world, login_as):
    earlier = _file(world)
    repeat = _file(world, description="这次是买药")
    worker = login_as("social_worker", station=world.station_a)
    response = post(client, f"/station/r/{repeat.id}/not_duplicate")
    assert response.status_code == 302
    stored = db.session.get(HelpRequest, repeat.id)
    assert stored.possible_duplicate_of_id is None and stored.status == "new"
    [event] = events(repeat.id, "not_duplicate")
    assert (
        event.actor_id == worker.id
        and event.public is False
        and code_text(earlier.code) in event.note
    )
    page = text(client.get(f"/station/r/{repeat.id}"))
    assert 'id="possible-duplicate"' not in page
    assert "可能重复" not in _queue_item(text(client.get("/station/")), code_text(repeat.code))
    # Nothing left to clear: a clear answer, nothing changed.
    again = post(client, f"/station/r/{repeat.id}/not_duplicate")
    assert again.status_code == 422
    assert len(events(repeat.id, "not_duplicate")) == 1


def test_merging_the_earlier_request_into_the_repeat_clears_the_mark(client, world, login_as):
    earlier = _file(world)
    repeat = _file(world)
    login_as("social_worker", station=world.station_a)
    response = post(client, f"/station/r/{earlier.id}/merge", {"merge-target": repeat.code})
    assert response.status_code == 302
    assert db.session.get(HelpRequest, earlier.id).merged_into_id == repeat.id
    assert db.session.get(HelpRequest, repeat.id).possible_duplicate_of_id is None
    assert "可能重复" not in _queue_item(text(client.get("/station/")), code_text(repeat.code))
