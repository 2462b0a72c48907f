"""Follow my request over HTTP: look-up, the timeline in plain words, the resident's
actions (cancel, confirm, not solved, rate), the neutral message and the rate limit."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import HelpRequest, RequestEvent, Station
from app.services import workflow
from tests import factories
from tests.public_support import HX, look_up, make_tracked, post_action, post_ask


def _strip_inputs(html: str) -> str:
    """The page without what the person typed (echoed back) and the CSRF tokens (the one in
    hx-headers too: each is masked afresh at every render, app/web/csrf_mask.py)."""
    html = re.sub(r'value="[^"]*"', 'value=""', html)
    return re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1"', html)


def test_the_sms_link_opens_the_form_with_the_code_filled_in(client, world):
    tracked = make_tracked(world)
    html = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert f'value="{tracked.code}"' in html
    assert "联系电话的后4位" in html
    assert "我们已收到您的求助" not in html  # nothing shown before the digits


def test_code_and_last_four_digits_show_the_timeline(client, world):
    tracked = make_tracked(world)
    response = look_up(client, tracked.code.lower(), "8000")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/t/{tracked.code}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "我们已收到您的求助。" in page
    assert "待受理" in page
    assert "我不需要帮助了" in page  # cancel is offered while not assigned


def test_the_htmx_look_up_answers_the_status_fragment_and_pushes_the_url(client, world):
    tracked = make_tracked(world)
    response = look_up(client, tracked.code, "8000", htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == f"/t/{tracked.code}"
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="track-box">')
    assert "我们已收到您的求助。" in html


def test_wrong_digits_and_wrong_code_get_the_same_answer(client, world):
    tracked = make_tracked(world)
    wrong_digits = look_up(client, tracked.code, "1234")
    wrong_code = look_up(client, "XXXXXXX", "8000")
    assert wrong_digits.status_code == wrong_code.status_code == 422
    a, b = wrong_digits.get_data(as_text=True), wrong_code.get_data(as_text=True)
    assert "没有找到与这个编号和号码后4位相符的求助" in a
    assert _strip_inputs(a) == _strip_inputs(b)
    htmx_a = look_up(client, tracked.code, "1234", htmx=True).get_data(as_text=True)
    htmx_b = look_up(client, "XXXXXXX", "8000", htmx=True).get_data(as_text=True)
    assert _strip_inputs(htmx_a) == _strip_inputs(htmx_b)
    assert "<html" not in htmx_a
    # The digits typed are never echoed back.
    assert 'value="1234"' not in a
    # Nothing is unlocked by failing.
    assert "我们已收到您的求助。" not in client.get(f"/t/{tracked.code}").get_data(as_text=True)


def test_tracking_attempts_are_rate_limited(client, world):
    tracked = make_tracked(world)
    codes = [look_up(client, tracked.code, f"{n:04d}").status_code for n in range(10)]
    assert codes == [422] * 10
    blocked = look_up(client, tracked.code, "8000")
    assert blocked.status_code == 429
    assert "尝试次数太多" in blocked.get_data(as_text=True)


def test_the_asker_can_follow_the_request_right_away(client, world):
    post_ask(client, world)
    created = db.session.scalars(db.select(HelpRequest)).one()
    page = client.get(f"/t/{created.code}").get_data(as_text=True)
    assert "我们已收到您的求助。" in page


def test_cancel_while_not_assigned(client, world):
    tracked = make_tracked(world)
    look_up(client, tracked.code, "8000")
    response = post_action(client, tracked.code, "cancel", note="邻居已经帮我买了")
    assert response.status_code == 303
    db.session.refresh(tracked)
    assert tracked.status == "cancelled"
    last = db.session.scalars(db.select(RequestEvent).order_by(RequestEvent.id.desc())).first()
    assert (last.action, last.actor_label, last.note) == ("cancel", "resident", "邻居已经帮我买了")
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert "您的求助已取消。" in page and "已取消" in page
    assert "我不需要帮助了" not in page


def test_cancel_is_refused_once_assigned(client, world):
    volunteer = factories.make_volunteer(world.station_a, name="李小红")
    tracked = make_tracked(world, status="assigned", assigned_volunteer_id=volunteer.id)
    look_up(client, tracked.code, "8000")
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert "我不需要帮助了" not in page
    response = post_action(client, tracked.code, "cancel", htmx=True)
    assert response.headers.get("HX-Redirect") == f"/t/{tracked.code}"
    db.session.refresh(tracked)
    assert tracked.status == "assigned"
    assert "这里不能取消了" in client.get(f"/t/{tracked.code}").get_data(as_text=True)


def test_the_timeline_names_the_volunteer_by_first_name_only(client, world):
    volunteer = factories.make_volunteer(world.station_a, name="李小红")
    tracked = make_tracked(world, status="accepted")
    workflow.transition(tracked, "offer")
    workflow.transition(tracked, "claim", actor=volunteer)
    tracked.assigned_volunteer_id = volunteer.id
    workflow.transition(tracked, "check_in", actor=volunteer)
    db.session.commit()
    look_up(client, tracked.code, "8000")
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert "正在为您寻找附近的志愿者。" in page
    assert "小红会来帮您。" in page
    assert "小红正在路上或已经到了。" in page
    assert "李小红" not in page
    assert volunteer.phone[-8:] not in page


def test_confirm_done_then_rate(client, world):
    tracked = make_tracked(world, status="done")
    look_up(client, tracked.code, "8000")
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert "办好了" in page and "没办好，问题还在" in page
    response = post_action(client, tracked.code, "confirm", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "谢谢！您的求助已办结。" in html and "已办结" in html
    db.session.refresh(tracked)
    assert tracked.status == "closed"

    bad = post_action(client, tracked.code, "rate", stars="9")
    assert bad.status_code == 422
    response = post_action(client, tracked.code, "rate", stars="5", comment="<b>很好</b>，谢谢")
    assert response.status_code == 303
    db.session.refresh(tracked)
    assert (tracked.rating, tracked.rating_comment) == (5, "<b>很好</b>，谢谢")
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert "您给了5颗星" in page
    assert "&lt;b&gt;很好&lt;/b&gt;" in page and "<b>很好</b>" not in page
    # Only once.
    post_action(client, tracked.code, "rate", stars="1")
    db.session.refresh(tracked)
    assert tracked.rating == 5


def test_not_solved_reopens(client, world):
    tracked = make_tracked(world, status="done")
    look_up(client, tracked.code, "8000")
    response = post_action(client, tracked.code, "reopen", htmx=True, note="水管还在漏水")
    assert response.status_code == 200
    assert "已重新打开您的求助" in response.get_data(as_text=True)
    db.session.refresh(tracked)
    assert tracked.status == "assigned"
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert "您说问题还没解决，已重新打开求助。" in page
    assert "水管还在漏水" in page


def test_actions_need_a_look_up_first(client, world):
    tracked = make_tracked(world)
    response = post_action(client, tracked.code, "cancel")
    assert response.status_code == 303  # back to the code form
    db.session.refresh(tracked)
    assert tracked.status == "new"
    other = make_tracked(world, phone="+8613900139000")
    look_up(client, tracked.code, "8000")
    post_action(client, other.code, "cancel")
    db.session.refresh(other)
    assert other.status == "new"


def test_an_unknown_action_is_not_found(client, world):
    tracked = make_tracked(world)
    look_up(client, tracked.code, "8000")
    assert post_action(client, tracked.code, "delete").status_code == 404


def test_status_page_in_english(client, world):
    tracked = make_tracked(world)
    client.get("/lang/en")
    look_up(client, tracked.code, "8000")
    page = client.get(f"/t/{tracked.code}", headers={}).get_data(as_text=True)
    assert "We received your request." in page and "I no longer need help" in page
    assert HX  # the htmx header constant is shared with the other modules


def test_failed_look_ups_from_every_address_share_one_budget(client, world, app, monkeypatch):
    """Many addresses together get no more guesses than TRACK_FAILED_LOOKUPS_LIMIT: once
    it is spent, the look-up answers 429 to every address, the right code included, while
    a look-up that finds its request never spends it."""
    monkeypatch.setitem(app.config, "TRACK_FAILED_LOOKUPS_LIMIT", "3/hour")
    tracked = make_tracked(world)
    for address in ("10.0.0.1", "10.0.0.2"):  # two right look-ups: nothing spent
        ok = look_up(client, tracked.code, "8000", environ_base={"REMOTE_ADDR": address})
        assert ok.status_code in (200, 303)
    for n, address in enumerate(("10.0.0.3", "10.0.0.4", "10.0.0.5")):
        wrong = look_up(client, tracked.code, f"{n:04d}", environ_base={"REMOTE_ADDR": address})
        assert wrong.status_code == 422
    blocked = look_up(client, tracked.code, "8000", environ_base={"REMOTE_ADDR": "10.0.0.6"})
    assert blocked.status_code == 429
    assert "尝试次数太多" in blocked.get_data(as_text=True)


def test_a_station_saved_without_a_phone_shows_no_empty_call_link(client, world):
    """Stations must have a phone now; one saved before that rule shows no 'tel:' link
    (and no hotline in its place)."""
    tracked = make_tracked(world)
    db.session.execute(db.update(Station).where(Station.id == tracked.station_id).values(phone=""))
    db.session.commit()
    assert look_up(client, tracked.code, "8000").status_code in (200, 303)
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert 'id="track-box"' in page  # the status page, not the code form
    assert 'href="tel:"' not in page and "12345" not in page
