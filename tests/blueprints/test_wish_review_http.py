"""Fixes from the outside review of micro-wishes over HTTP (issue 18, part 2)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Wish
from app.services import ServiceError, wish_delivery, wishes, wording
from tests.conftest import csrf_token_from
from tests.console_support import text
from tests.wish_support import DONOR_PHONE, make_child, make_wish, texts_to, worker_of


def test_the_worker_sees_what_goes_public_before_publishing(client, world, login_as):
    worker = login_as("social_worker", station=world.station_a)
    child = make_child(world)
    wish = make_wish(worker, child, publish=False)
    db.session.commit()
    page = text(client.get(f"/station/wishes/{wish.id}"))
    preview = page.split("公开展示的内容", 1)[1].split("</section>", 1)[0]
    assert wish.what in preview and wish.code in preview and "120" in preview
    assert child.name not in preview and child.village.name not in preview


def test_the_resources_export_is_in_the_access_log(client, world, login_as):
    worker = login_as("social_worker", station=world.station_a)
    assert client.get("/station/resources.csv").status_code == 200
    db.session.expire_all()
    logged = db.session.scalars(
        select(AuditLog).where(AuditLog.actor_id == worker.id, AuditLog.action == "export")
    ).all()
    assert [(entry.object_type, entry.station_id) for entry in logged] == [
        ("resource_entry", world.station_a.id)
    ]


def test_a_wish_code_with_letters_is_not_found(client, world):
    wish = make_wish(worker_of(world.station_a), make_child(world))
    db.session.commit()
    assert client.get(f"/wishes/{wish.code}").status_code == 200
    mangled = wish.code[:2] + "a" + wish.code[2:]
    assert client.get(f"/wishes/{mangled}").status_code == 404


def _ask_code(client, code: str, phone: str):
    page = text(client.get(f"/wishes/{code}"))
    data = {"name": "x", "phone": phone, "kind": "individual", "csrf_token": csrf_token_from(page)}
    return client.post(f"/wishes/{code}", data=data)


def test_replaying_the_session_cookie_gives_no_new_code_tries(client, world, monkeypatch):
    from app.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)
    wish = make_wish(worker_of(world.station_a), make_child(world))
    db.session.commit()
    asked = _ask_code(client, wish.code, "13900009999")
    assert asked.status_code == 200
    saved = client.get_cookie("session").value
    token = csrf_token_from(text(asked))
    right = re.search(r"[0-9]{6}", texts_to("+8613900009999")[-1].body).group(0)
    guesses = iter(code for code in (f"{n:06d}" for n in range(20)) if code != right)
    for _round in range(3):
        client.set_cookie("session", saved)
        for _try in range(5):
            data = {"code": next(guesses), "csrf_token": token}
            assert client.post(f"/wishes/{wish.code}/code", data=data).status_code == 422
    client.set_cookie("session", saved)
    late = client.post(f"/wishes/{wish.code}/code", data={"code": right, "csrf_token": token})
    assert late.status_code == 422 and "重新开始" in text(late)  # the tries were used up
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).status == "published"


def test_a_strangers_typed_number_does_not_tell_which_wish_it_holds(client, world):
    worker = worker_of(world.station_a)
    first = make_wish(worker, make_child(world))
    second = make_wish(worker, make_child(world, name="张小明"), what="一双运动鞋")
    wishes.claim(first, name="donor", phone=DONOR_PHONE)
    db.session.commit()
    asked = _ask_code(client, second.code, DONOR_PHONE[3:])
    # the form asks for the code like for any number, and names no wish
    assert asked.status_code == 200 and first.code not in text(asked)
    assert "已认领" not in text(asked)


def test_the_donor_who_holds_a_wish_hears_it_only_after_the_code(client, world):
    worker = worker_of(world.station_a)
    first = make_wish(worker, make_child(world))
    second = make_wish(worker, make_child(world, name="张小明"), what="一双运动鞋")
    wishes.claim(first, name="donor", phone=DONOR_PHONE)
    db.session.commit()
    asked = _ask_code(client, second.code, DONOR_PHONE[3:])
    code = re.search(r"[0-9]{6}", texts_to(DONOR_PHONE)[-1].body).group(0)
    answer = client.post(
        f"/wishes/{second.code}/code",
        data={"code": code, "csrf_token": csrf_token_from(text(asked))},
    )
    assert answer.status_code == 422 and "一次认领一个" in text(answer)
    assert first.code not in text(answer)
    db.session.expire_all()
    assert db.session.get(Wish, second.id).status == "published"


def test_a_wish_past_its_date_says_so_to_a_donor(world):
    wish = make_wish(worker_of(world.station_a), make_child(world), days=3)
    wish.deadline = wording.local_today() - timedelta(days=1)
    with pytest.raises(ServiceError, match="已过期"):
        wishes.claim(wish, name="张", phone=DONOR_PHONE)


def test_a_fulfilled_wish_leaves_the_public_pages_after_some_days(client, world):
    from datetime import datetime

    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world))
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    wishes.confirm(worker, wish)
    wish_delivery.deliver(worker, wish, delivered_on=wording.local_today())
    db.session.commit()
    page = client.get(f"/wishes/{wish.code}")
    assert page.status_code == 200 and "120 元" in text(page)
    wish.fulfilled_at = datetime(2020, 1, 1)
    db.session.commit()
    assert client.get(f"/wishes/{wish.code}").status_code == 404


def test_values_read_the_same_everywhere():
    assert wording.yuan_text("120.00", "zh") == "120 元"
    assert wording.yuan_text("120.5", "zh") == "120.50 元"
    assert wording.yuan_text(80, "en") == "80 yuan"


def test_the_station_list_shows_a_confirmed_claim_past_its_day(client, world, login_as):
    worker = login_as("social_worker", station=world.station_a)
    wish = make_wish(worker, make_child(world))
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    wishes.confirm(worker, wish)
    db.session.commit()
    assert "已过约定送达日期" not in text(client.get("/station/wishes"))
    wish.claim_due = wording.local_today() - timedelta(days=1)
    db.session.commit()
    assert "已过约定送达日期" in text(client.get("/station/wishes"))
