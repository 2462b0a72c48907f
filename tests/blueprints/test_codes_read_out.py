"""Issue 16, item 3: tracking codes are 8 digits read out in two groups; a person types
them as they read them (a space, a dash, full-width digits) and old letter codes still
open their requests wherever a code is typed."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.services import console_choices, deadlines, intake
from app.services.codes import code_text, new_reply_code, new_tracking_code, normalise_code
from tests import factories
from tests.public_support import look_up, make_tracked


def test_new_codes_are_digits_in_two_groups_and_reply_codes_never_start_with_0():
    codes = {new_tracking_code() for _ in range(200)}
    assert all(re.fullmatch(r"\d{8}", code) for code in codes) and len(codes) > 190
    assert all(re.fullmatch(r"\d{4} \d{4}", code_text(code)) for code in codes)
    replies = [new_reply_code() for _ in range(200)]
    assert all(re.fullmatch(r"[1-9]\d{3}", code) for code in replies)
    assert code_text("K7M3QXA") == "K7M3QXA" and code_text("4821") == "4821"
    assert normalise_code("３８０６－１４７２") == normalise_code(" 3806 1472 ") == "38061472"


@pytest.mark.parametrize(
    "typed", ["{a} {b}", "{a}-{b}", "{a}{b}", " {a}  {b} ", "{wa}\u3000{wb}", "{wa}－{wb}"]
)
def test_the_look_up_takes_the_code_as_people_type_it(client, world, typed):
    tracked = make_tracked(world)
    a, b = tracked.code[:4], tracked.code[4:]
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    code = typed.format(a=a, b=b, wa=a.translate(wide), wb=b.translate(wide))
    response = look_up(client, code, "８０００" if "wa" in typed else "8000")
    assert response.status_code == 303, code
    assert response.headers["Location"].endswith(f"/t/{tracked.code}")


def test_an_old_letter_code_still_opens_its_request(client, world):
    make_tracked(world, code="K7M3QXA")
    response = look_up(client, "k7m-3qxa", "8000")
    assert response.status_code == 303
    assert "K7M3QXA" in client.get("/t/K7M3QXA").get_data(as_text=True)


def test_the_status_page_and_the_sms_link_show_the_groups(client, world):
    tracked = make_tracked(world)
    assert look_up(client, tracked.code, "8000").status_code == 303
    page = client.get(f"/t/{code_text(tracked.code)}").get_data(as_text=True)  # "/t/3806 1472"
    assert f'<span class="code-inline">{code_text(tracked.code)}</span>' in page


def test_a_worker_merges_into_a_code_typed_as_read_out(app, world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    target = factories.make_request(world.station_a)
    old = factories.make_request(world.station_a, code="K7M3QXA")
    db.session.commit()
    assert console_choices.merge_target(worker, code_text(target.code)) == target
    assert console_choices.merge_target(worker, target.code[:4] + "-" + target.code[4:]) == target
    assert console_choices.merge_target(worker, "k7m3qxa") == old


def test_a_new_request_never_takes_a_code_in_use(app, world, monkeypatch):
    taken = factories.make_request(world.station_a, code="11112222")
    db.session.commit()
    drawn = iter(["11112222", "11112222", "33334444", "55556666", "77778888"])
    monkeypatch.setattr(intake, "new_tracking_code", lambda: next(drawn))
    created = intake.submit_request(
        channel="web",
        category="shopping",
        description="买米",
        village_id=world.village_a1.id,
        contact_phone="+8613800138000",
        consent=True,
    )
    assert created.code == "33334444" != taken.code


def test_the_response_target_in_plain_words(app, monkeypatch):
    with app.test_request_context():
        assert deadlines.response_target_text("normal", "zh") == "1天内"
        assert deadlines.response_target_text("urgent", "zh") == "2小时内"
        assert deadlines.response_target_text("crisis", "zh") == "15分钟内"
        assert deadlines.response_target_text("urgent", "en") == "within 2 hours"
        targets = {**app.config["RESPONSE_TARGET_MINUTES"], "urgent": 60}
        monkeypatch.setitem(app.config, "RESPONSE_TARGET_MINUTES", targets)
        assert deadlines.response_target_text("urgent", "zh") == "1小时内"
        assert deadlines.response_target_text("urgent", "en") == "within an hour"
