"""Fixes from the outside review of micro-wishes (issue 18, part 2): what may go public,
who learns what from a claim, and how a claim ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.jobs import wishes as wish_jobs
from app.models import Wish
from app.services import ServiceError, stats, wish_delivery, wishes, wording
from tests import factories
from tests.wish_support import DONOR_PHONE, make_child, make_wish, texts_to, worker_of


def _month(user):
    today = wording.local_today()
    return stats.figures(stats.station_scope(user), stats.month_period(today.year, today.month))


def _record(worker, child, what):
    return wishes.record(
        worker,
        child,
        what=what,
        category="study",
        estimated_value="100",
        deadline=wording.local_today() + timedelta(days=10),
    )


# Each rule's refusal, checked by its message: a case one rule should catch must not pass
# because another rule caught it.
NAMED = "请不要写姓名、小名、村名或住址"  # names, nicknames, the village, the address
NUMBERED = "请不要写电话号码、门牌号或住址"  # phone and house numbers, addresses
SENSITIVE = "请不要写疾病、残疾、家庭困难或孩子的学校"  # illness, disability, hardship


@pytest.mark.parametrize(
    ("what", "rule"),
    [
        ("给晓梅的新书包", NAMED),  # the given name alone
        ("欧阳 晓梅的书包", NAMED),  # a space does not hide the name
        ("桃园小学校服", NAMED),  # the village's stem as a school
        ("桃园的孩子要书包", NAMED),  # the village's stem alone
        ("三组18号孩子要书包", NAMED),  # the address
        ("白血病患儿的玩具", SENSITIVE),  # an illness
        ("小名梅梅要个娃娃", NAMED),  # a nickname
        ("梅梅的娃娃", NAMED),  # a nickname, no 小名 to give it away
        ("电话13900001111", NUMBERED),  # phone digits
        ("给建国家孙女的鞋", NAMED),  # the guardian's given name
        ("１３９００００１１１１", NUMBERED),  # full-width digits
        ("给五组的孩子一个书包", NUMBERED),  # a group of a village, whoever's
        ("18号家的书包", NAMED),  # the number of the child's house
    ],
)
def test_a_wish_that_points_at_the_child_is_refused(world, what, rule):
    worker = worker_of(world.station_a)
    child = make_child(world, address="桃园村三组18号")
    with pytest.raises(ServiceError) as error:
        _record(worker, child, what)
    assert error.value.field == "what"
    assert rule in error.value.message, error.value.message


@pytest.mark.parametrize(
    "what", ["一个新书包", "小学生字典", "一双37号运动鞋", "冬天的棉衣", "一百片拼图"]
)
def test_an_ordinary_wish_still_goes_through(world, what):
    worker = worker_of(world.station_a)
    assert _record(worker, make_child(world), what).what == what


def _claimed(world, *, confirm=False, **overrides):
    worker = worker_of(world.station_a)
    child = make_child(world)
    wish = make_wish(worker, child, **overrides)
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    if confirm:
        wishes.confirm(worker, wish)
    return worker, child, wish


@pytest.mark.parametrize("confirm", [False, True])
def test_withdrawing_a_claimed_wish_tells_the_donor_and_forgets_them(world, confirm):
    worker, child, wish = _claimed(world, confirm=confirm)
    before = _month(worker).wishes.claimed
    wishes.withdraw(worker, wish)
    assert texts_to(DONOR_PHONE)[-1].template == "wish_withdrawn_donor"
    assert "不用再送" in texts_to(DONOR_PHONE)[-1].body
    family = [m.template for m in texts_to(child.guardian_phone)]
    assert family == (["wish_claimed_family", "wish_withdrawn_family"] if confirm else [])
    assert (wish.status, wish.donor_phone, wish.donor_name, wish.claimed_at) == (
        "withdrawn",
        None,
        None,
        None,
    )
    assert _month(worker).wishes.claimed == before - 1


def test_past_its_deadline_a_claim_ends_for_good_with_its_own_words(world, client):
    worker, child, wish = _claimed(world, days=3)
    wish.deadline = wish.claim_due = wording.local_today() - timedelta(days=1)
    db.session.commit()
    assert wish_jobs.release_overdue_claims() == 1
    wish = db.session.get(Wish, wish.id)
    assert (wish.status, wish.donor_phone) == ("expired", None)
    donor = texts_to(DONOR_PHONE)[-1]
    assert donor.template == "wish_claim_expired" and "重新发布" not in donor.body
    assert texts_to(child.guardian_phone) == []
    assert wish_jobs.release_overdue_claims() == 0
    with pytest.raises(ServiceError, match="已过期"):
        wishes.claim(wish, name="李", phone="13900002222")


def test_a_published_wish_past_its_date_expires(world):
    wish = make_wish(worker_of(world.station_a), make_child(world), days=3)
    wish.deadline = wording.local_today() - timedelta(days=1)
    db.session.commit()
    assert wish_jobs.release_overdue_claims() == 1
    assert db.session.get(Wish, wish.id).status == "expired"


def test_a_confirmed_claim_is_never_released_the_station_is_told_once(world):
    worker, child, wish = _claimed(world, confirm=True)
    worker.phone = "+8613700001234"
    wish.claim_due = wording.local_today() - timedelta(days=1)
    db.session.commit()
    assert wish_jobs.release_overdue_claims() == 1
    assert wish_jobs.release_overdue_claims() == 0  # told once
    wish = db.session.get(Wish, wish.id)
    assert (wish.status, wish.donor_phone) == ("confirmed", DONOR_PHONE)
    told = texts_to("+8613700001234")
    assert [m.template for m in told] == ["wish_overdue_station"] and wish.code in told[0].body
    assert texts_to(DONOR_PHONE)[-1].template == "wish_confirmed_donor"  # nothing more
    wish_delivery.deliver(worker, wish, delivered_on=wording.local_today())  # still recordable
    assert wish.status == "fulfilled"


def test_an_unconfirmed_claim_holds_the_wish_three_days_and_the_family_hears_at_confirm(world):
    worker, child, wish = _claimed(world)
    assert wish.claim_due == wording.local_today() + timedelta(days=3)
    assert texts_to(child.guardian_phone) == []
    wishes.confirm(worker, wish)
    assert wish.claim_due == wording.local_today() + timedelta(days=wishes.CLAIM_DAYS)
    assert [m.template for m in texts_to(child.guardian_phone)] == ["wish_claimed_family"]


def test_a_rejected_confirmed_claim_tells_the_family_it_needs_another_donor(world):
    worker, child, wish = _claimed(world, confirm=True)
    wishes.reject(worker, wish)
    last = texts_to(child.guardian_phone)[-1]
    assert last.template == "wish_reopened_family" and "未能送达" not in last.body


def test_a_phone_claims_a_few_wishes_a_day(world):
    worker = worker_of(world.station_a)
    child = make_child(world)
    for n in range(wishes.DAILY_CLAIMS):
        wish = make_wish(worker, child, what=f"书包{'一二三四'[n]}")
        wishes.claim(wish, name="张", phone=DONOR_PHONE)
        wishes.confirm(worker, wish)
    extra = make_wish(worker, child, what="一双运动鞋")
    with pytest.raises(ServiceError, match="明天"):
        wishes.claim(extra, name="张", phone=DONOR_PHONE)


def test_the_database_keeps_one_unconfirmed_claim_per_phone(world):
    worker = worker_of(world.station_a)
    first, second = make_wish(worker, make_child(world)), make_wish(worker, make_child(world))
    wishes.claim(first, name="张", phone=DONOR_PHONE)
    db.session.commit()
    with pytest.raises(IntegrityError):  # a second claim that skipped the check
        with db.session.begin_nested():
            db.session.execute(
                Wish.__table__.update()
                .where(Wish.__table__.c.id == second.id)
                .values(status="claimed", donor_phone=DONOR_PHONE)
            )


def test_a_wish_is_only_for_a_child(world):
    worker = worker_of(world.station_a)
    adult = factories.make_beneficiary(
        world.station_a, world.village_a2, name="王大伯", birth_year=1950, special_groups=[]
    )
    with pytest.raises(ServiceError) as error:
        _record(worker, adult, "一个新书包")
    assert error.value.field == "person"


def _jpeg_with_gps() -> bytes:
    exif = b"Exif\0\0" + b"GPS 34.7N 113.6E"
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + app1 + b"\xff\xda\x00\x02" + b"\x11" * 32 + b"\xff\xd9"


def test_a_delivery_photo_is_kept_without_its_location(world):
    from app.models import WishPhoto

    worker, _child, wish = _claimed(world, confirm=True)
    wish_delivery.deliver(worker, wish, delivered_on=wording.local_today(), photo=_jpeg_with_gps())
    kept = db.session.scalar(select(WishPhoto.content))
    assert kept.startswith(b"\xff\xd8\xff\xe0") and b"GPS" not in kept and b"Exif" not in kept
    assert kept.endswith(b"\x11" * 32 + b"\xff\xd9")


def test_a_photo_view_is_in_the_access_log(client, world, login_as):
    from app.models import AuditLog

    worker = login_as("social_worker", station=world.station_a)
    _w, _child, wish = _claimed(world, confirm=True)
    wish_delivery.deliver(worker, wish, delivered_on=wording.local_today(), photo=_jpeg_with_gps())
    db.session.commit()
    assert client.get(f"/station/wishes/{wish.id}/photo").status_code == 200
    db.session.expire_all()
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.actor_id == worker.id))
    assert "view_wish_photo" in list(actions)


def test_two_claims_from_one_phone_at_once_keep_one(world, monkeypatch):
    """Both checks passed before either claim was stored: the index refuses the second,
    and the donor is told as if the check had caught it."""
    worker = worker_of(world.station_a)
    first, second = make_wish(worker, make_child(world)), make_wish(worker, make_child(world))
    wishes.claim(first, name="张", phone=DONOR_PHONE)
    monkeypatch.setattr(wishes, "_check_phone_free", lambda phone: None)  # the other's check
    with pytest.raises(ServiceError, match="一次认领一个"):
        wishes.claim(second, name="张", phone=DONOR_PHONE)
    db.session.expire_all()
    assert db.session.get(Wish, second.id).status == "published"
    assert db.session.get(Wish, first.id).status == "claimed"
