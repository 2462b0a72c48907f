"""The same phone and category twice (issue 13, item 1).

What a post to /ask or /proxy shows must not depend on other people's data: whoever
types a phone number must not learn whether, when or for what its owner asked for help.
The request is filed and marked for the station as a possible duplicate; the phone's
owner is told by SMS; only the browser that filed the earlier request is asked.
"""

from __future__ import annotations

import re
from datetime import timedelta

from app.extensions import db, limiter
from app.models import HelpRequest, OutboxMessage, RequestEvent
from app.services.codes import code_text
from tests import factories
from tests.factories import shows_code
from tests.public_support import PHONE_E164, look_up, post_ask, requests_in_db


def _fresh_browser(app):
    """Another person's phone: no cookies (the same client class as ``client``)."""
    from tests.conftest import IsolatedClient

    app.test_client_class = IsolatedClient
    return app.test_client()


def _without_what_is_new(text: str, codes: list[str]) -> str:
    """The page without what differs between any two filings: the new request's tracking
    code and the time it came in, and the per-session CSRF tokens."""
    for code in codes:
        text = text.replace(code, "CODE").replace(code_text(code), "CODE")
    text = re.sub(r"<time [^>]*>[^<]*</time>", "<time/>", text)
    text = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1TOKEN"', text)
    return re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1TOKEN"', text)


CLOCK_HEADERS = ("Set-Cookie", "Date", "X-RateLimit-Reset", "Retry-After")


def _what_a_stranger_sees(app, world, *, htmx: bool) -> tuple[list, HelpRequest]:
    browser = _fresh_browser(app)
    limiter.reset()  # another person: another address, its own rate limit
    response = post_ask(browser, world, htmx=htmx)
    created = requests_in_db()[-1]
    done = browser.get("/ask/done")
    status = browser.get(f"/t/{created.code}")
    seen = [
        response.status_code,
        # Date and the rate limit's reset time follow the clock, not anyone's data.
        {k: v for k, v in response.headers.items() if k not in CLOCK_HEADERS},
        response.get_data(as_text=True),
        done.status_code,
        done.get_data(as_text=True),
        status.get_data(as_text=True),
    ]
    return [_without_what_is_new(str(part), [created.code]) for part in seen], created


def test_a_stranger_sees_the_same_whether_or_not_the_phone_has_an_open_request(app, world):
    for htmx in (False, True):
        db.session.execute(db.delete(OutboxMessage))
        db.session.execute(db.delete(RequestEvent))
        db.session.execute(db.delete(HelpRequest))
        db.session.commit()
        # No request from this phone yet.
        first_view, first = _what_a_stranger_sees(app, world, htmx=htmx)
        assert first.possible_duplicate_of_id is None
        # Now this phone has an open request for the same help, filed by someone else.
        second_view, second = _what_a_stranger_sees(app, world, htmx=htmx)
        assert second_view == first_view
        assert second.possible_duplicate_of_id == first.id
        html = "".join(second_view)
        assert not shows_code(html, first.code)
        assert "您已经提交过" not in html and "还在办理中" not in html


def test_a_strangers_repeat_is_filed_marked_for_the_station_and_told_to_the_owner(app, world):
    earlier = factories.make_request(
        world.room_a1,  # where /ask from 杏花社区 goes: a repeat at the same station
        contact_phone=PHONE_E164,
        category="emotional_support",
        created_ago=timedelta(hours=3),
    )
    db.session.commit()
    response = post_ask(_fresh_browser(app), world, category="emotional_support")
    assert response.status_code == 303
    [_earlier, created] = requests_in_db()
    assert created.possible_duplicate_of_id == earlier.id
    event = db.session.scalars(
        db.select(RequestEvent).where(
            RequestEvent.request_id == created.id, RequestEvent.action == "possible_duplicate"
        )
    ).one()
    assert event.public is False  # the tracking page shows no trace of it
    assert code_text(earlier.code) in event.note
    texts = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.to_phone == PHONE_E164)
    ).all()
    assert sorted(t.template for t in texts) == ["duplicate_still_open", "request_received"]
    notice = next(t for t in texts if t.template == "duplicate_still_open")
    assert code_text(earlier.code) in notice.body and "还在办理中" in notice.body
    assert "危机" not in notice.body  # the owner gets it, but the category stays out


def test_the_browser_that_filed_the_earlier_request_is_asked_and_must_tick_the_box(client, world):
    assert post_ask(client, world).status_code == 303
    [first] = requests_in_db()

    asked = post_ask(client, world)
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "您已经提交过" in html
    assert html.count('name="confirm_new"') == 1  # the check box; the button is no shortcut
    assert '<input id="confirm_new" name="confirm_new" type="checkbox" value="y">' in html
    assert len(requests_in_db()) == 1

    # The button pressed without ticking the box: a clear error, nothing filed.
    for htmx in (False, True):
        unticked = post_ask(client, world, htmx=htmx, duplicate_seen="1")
        assert unticked.status_code == 422
        page = unticked.get_data(as_text=True)
        assert "请先勾选" in page and "您已经提交过" in page
        assert len(requests_in_db()) == 1

    ticked = post_ask(client, world, duplicate_seen="1", confirm_new="y")
    assert ticked.status_code == 303
    [_first, second] = requests_in_db()
    assert second.possible_duplicate_of_id == first.id  # the station still sees it
    note = db.session.scalars(
        db.select(RequestEvent.note).where(
            RequestEvent.request_id == second.id, RequestEvent.action == "possible_duplicate"
        )
    ).one()
    assert "新的求助" in note
    # They said it is new: no "your earlier request is still open" text for them.
    templates = db.session.scalars(db.select(OutboxMessage.template)).all()
    assert "duplicate_still_open" not in templates


def test_a_ticked_box_from_a_stranger_changes_nothing_they_see(app, world):
    factories.make_request(world.room_a1, contact_phone=PHONE_E164, category="shopping")
    db.session.commit()
    response = post_ask(_fresh_browser(app), world, confirm_new="y", duplicate_seen="1")
    assert response.status_code == 303
    templates = db.session.scalars(db.select(OutboxMessage.template)).all()
    assert "duplicate_still_open" in templates  # the owner is still told


def test_proxy_intake_does_not_tell_a_volunteer_about_someone_elses_request(
    client, world, login_as
):
    earlier = factories.make_request(
        world.station_b, contact_phone=PHONE_E164, category="medical_escort"
    )
    db.session.commit()
    volunteer = login_as("volunteer", station=world.station_b)
    _approve(volunteer, world.station_b)
    db.session.commit()
    response = post_ask(
        client,
        world,
        path="/proxy",
        htmx=True,
        channel="proxy",
        contact_name="张桂兰",
        category="medical_escort",
        for_whom="neighbour",
        township=str(world.township_b.id),
        village=str(world.village_b1.id),
        consent_by="本人",
        consent_method="spoken_in_person",
    )
    assert response.headers.get("HX-Redirect") == "/ask/done"
    html = response.get_data(as_text=True)
    assert "您已经提交过" not in html and not shows_code(html, earlier.code)
    created = requests_in_db()[-1]
    assert created.possible_duplicate_of_id == earlier.id


def _approve(user, station):
    from app.models import VolunteerProfile

    db.session.add(
        VolunteerProfile(
            user_id=user.id,
            station_id=station.id,
            skills=["shopping"],
            availability=[],
            status="approved",
        )
    )


def test_the_prompt_is_not_shown_for_a_request_this_browser_only_looked_up(client, world):
    """Following a request (code + last digits) is not filing it: still no prompt."""
    earlier = factories.make_request(world.station_a, contact_phone=PHONE_E164)
    db.session.commit()

    assert look_up(client, earlier.code, "8000").status_code == 303
    response = post_ask(client, world, htmx=True)
    assert response.headers.get("HX-Redirect") == "/ask/done"
    assert "您已经提交过" not in response.get_data(as_text=True)
