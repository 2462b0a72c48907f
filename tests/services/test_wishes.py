"""Micro-wishes (issue 18): a wish's life through its use cases, first wins, who may act,
the deadline job, the texts to donor and family, and the month's figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, update

from app.extensions import db
from app.jobs import wishes as wish_jobs
from app.jobs.sms import dispatch_pending
from app.models import InboundMessage, ResourceEntry, Station, Wish, WishPhoto
from app.services import (
    ServiceError,
    resources,
    stats,
    wish_delivery,
    wish_station,
    wishes,
    wording,
)
from app.services.notifications import delivery
from app.services.notifications.inbound import handle_inbound
from tests import factories
from tests.wish_support import DONOR_PHONE, make_child, make_wish, texts_to, worker_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _month(user):
    today = wording.local_today()
    return stats.figures(stats.station_scope(user), stats.month_period(today.year, today.month))


def test_a_wish_goes_from_the_ledger_to_the_child_and_counts_in_the_month(world):
    worker = worker_of(world.station_a)
    child = make_child(world)
    before = _month(worker).wishes
    wish = make_wish(worker, child, publish=False)
    assert wish.status == "recorded" and wish.township_id == world.township_a.id
    assert wishes.board() == []  # a draft is the station's alone
    wishes.publish(worker, wish)
    assert [view.code for view in wishes.board()] == [wish.code]

    wishes.claim(wish, name="张爱心", phone="138 1234 5678", kind="individual")
    assert wish.status == "claimed" and wish.donor_phone == DONOR_PHONE
    assert [m.template for m in texts_to(DONOR_PHONE)] == ["wish_claimed_donor"]
    assert texts_to(child.guardian_phone) == []  # the family hears once it is confirmed
    assert wishes.board() == []

    wishes.confirm(worker, wish)
    assert [m.template for m in texts_to(child.guardian_phone)] == ["wish_claimed_family"]
    today = wording.local_today()
    wish_delivery.deliver(worker, wish, delivered_on=today, thanks="谢谢叔叔阿姨", photo=PNG)
    assert wish.status == "fulfilled"
    entry = db.session.scalar(select(ResourceEntry).where(ResourceEntry.wish_id == wish.id))
    assert (entry.value, entry.kind, entry.donor_name) == (Decimal("120.00"), "goods", "张爱心")
    assert db.session.scalar(select(WishPhoto.mimetype)) == "image/png"
    assert [m.template for m in texts_to(DONOR_PHONE)][-2:] == [
        "wish_confirmed_donor",
        "wish_fulfilled_donor",
    ]
    assert texts_to(child.guardian_phone)[-1].template == "wish_fulfilled_family"

    after = _month(worker).wishes
    assert after.collected == before.collected + 1
    assert after.published == before.published + 1
    assert after.claimed == before.claimed + 1
    assert after.fulfilled == before.fulfilled + 1
    assert after.resources_yuan == before.resources_yuan + Decimal("120.00")


def test_the_first_claim_wins_and_the_second_donor_is_thanked(world):
    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world))
    wishes.claim(wish, name="甲", phone="13800000001")
    with pytest.raises(ServiceError, match="刚刚被别人认领"):
        wishes.claim(wish, name="乙", phone="13800000002")
    assert wish.donor_name == "甲"
    assert texts_to("+8613800000002") == []


def test_a_stale_read_loses_the_race_in_the_database(world):
    """The machine's conditional UPDATE: a claim made from an object that still says
    "published" changes nothing once another claim is stored."""
    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world))
    db.session.commit()
    db.session.execute(
        Wish.__table__.update()
        .where(Wish.__table__.c.id == wish.id)
        .values(status="claimed", donor_name="甲", donor_phone="+8613800000001")
    )
    assert wish.status == "published"  # what this session read before
    with pytest.raises(ServiceError, match="刚刚被别人认领"):
        wishes.claim(wish, name="乙", phone="13800000002")
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).donor_name == "甲"


def test_one_open_claim_per_phone(world):
    worker = worker_of(world.station_a)
    child = make_child(world)
    first, second = make_wish(worker, child), make_wish(worker, child, what="一双运动鞋")
    wishes.claim(first, name="张", phone=DONOR_PHONE)
    with pytest.raises(ServiceError, match="一次认领一个"):
        wishes.claim(second, name="张", phone=DONOR_PHONE)
    wishes.confirm(worker, first)  # once the station confirmed, the donor may hold another
    wishes.claim(second, name="张", phone=DONOR_PHONE)
    assert second.status == "claimed"


def test_the_station_rejects_a_claim_and_the_wish_is_back_on_the_board(world):
    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world))
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    wishes.reject(worker, wish)
    assert wish.status == "published" and wish.donor_phone is None and wish.claimed_at is None
    assert texts_to(DONOR_PHONE)[-1].template == "wish_claim_rejected"
    assert texts_to(wish.beneficiary.guardian_phone) == []  # never told of that donor
    assert [view.code for view in wishes.board()] == [wish.code]


def test_a_claim_not_confirmed_in_time_goes_back_on_the_board(world):
    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world))
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    assert wish.claim_due == wording.local_today() + timedelta(days=wishes.CONFIRM_DAYS)
    db.session.commit()
    assert wish_jobs.release_overdue_claims() == 0
    wish.claim_due = wording.local_today() - timedelta(days=1)
    db.session.commit()
    assert wish_jobs.release_overdue_claims() == 1
    wish = db.session.get(Wish, wish.id)
    assert (wish.status, wish.donor_phone, wish.times_released) == ("published", None, 1)
    assert texts_to(DONOR_PHONE)[-1].template == "wish_claim_lapsed"
    assert wish_jobs.release_overdue_claims() == 0


def test_moves_the_machine_does_not_allow_are_refused(world):
    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world), publish=False)
    with pytest.raises(ServiceError):
        wishes.claim(wish, name="张", phone=DONOR_PHONE)  # a draft
    with pytest.raises(ServiceError):
        wishes.confirm(worker, wish)
    wishes.publish(worker, wish)
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    with pytest.raises(ServiceError):
        wish_delivery.deliver(worker, wish, delivered_on=wording.local_today())  # not confirmed
    wishes.withdraw(worker, wish)
    assert wish.status == "withdrawn" and wishes.by_code(wish.code) is None


@pytest.mark.parametrize("who", ["other_station", "volunteer", "county", "stranger"])
def test_only_the_wish_stations_workers_may_act(world, who):
    worker = worker_of(world.station_a)
    child = make_child(world)
    wish = make_wish(worker, child, publish=False)
    someone = {
        "other_station": lambda: worker_of(world.station_b),
        "volunteer": lambda: factories.make_volunteer(world.station_a),
        "county": lambda: factories.make_user(
            roles=("county_supervisor",), station=world.county_centre
        ),
        "stranger": lambda: None,
    }[who]()
    with pytest.raises(ServiceError):
        wishes.record(
            someone,
            child,
            what="书包",
            category="study",
            estimated_value="50",
            deadline=wording.local_today() + timedelta(days=9),
        )
    for act in (wishes.publish, wishes.withdraw):
        with pytest.raises(ServiceError):
            act(someone, wish)
    wishes.publish(worker, wish)
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    for act in (wishes.confirm, wishes.reject):
        with pytest.raises(ServiceError):
            act(someone, wish)
    wishes.confirm(worker, wish)
    with pytest.raises(ServiceError):
        wish_delivery.deliver(someone, wish, delivered_on=wording.local_today())
    assert wish_station.visible_wish(someone, wish.id) is None
    assert wish.status == "confirmed"


def test_a_wish_that_names_the_child_is_refused(world):
    worker = worker_of(world.station_a)
    child = make_child(world)
    for what in ("给欧阳晓梅买书包", "欧阳建国的孙女要书包", "桃园村小朋友要书包"):
        with pytest.raises(ServiceError) as error:
            make_wish(worker, child, what=what)
        assert error.value.field == "what"
    with pytest.raises(ServiceError) as error:
        make_wish(worker, child, what="一" * 21)
    assert error.value.field == "what"


def test_a_donor_claims_by_sms_and_digits_alone_stay_offer_replies(world):
    worker = worker_of(world.station_a)
    child = make_child(world)
    wish = make_wish(worker, child)
    reply = handle_inbound(DONOR_PHONE, f"认领 {wish.code} 王女士", "SM1").reply
    assert wish.code in reply and "一个新书包" in reply
    db.session.expire_all()
    wish = db.session.get(Wish, wish.id)
    assert (wish.status, wish.claim_channel, wish.donor_name) == ("claimed", "sms", "王女士")
    assert db.session.scalar(select(InboundMessage.command)) == "wish_claim"
    assert texts_to(DONOR_PHONE) == []  # the reply is the donor's text
    assert texts_to(child.guardian_phone) == []  # the family hears once it is confirmed
    other = make_wish(worker, child, what="一双运动鞋")
    refused = handle_inbound("+8613800000009", f"rl{other.code}", "SM2").reply
    assert db.session.get(Wish, other.id).status == "claimed" and other.code in refused
    again = handle_inbound("+8613800000010", f"RL {other.code}", "SM3").reply
    assert "someone has just claimed" in again  # "RL": the reply is in English
    assert "认领" in handle_inbound("+8613800000011", "认领", "SM4").reply  # how to
    third = make_wish(worker, child, what="一盒彩笔")
    handle_inbound("+8613800000012", third.code, "SM5")  # digits alone: not a claim
    assert db.session.get(Wish, third.id).status == "published"


def test_cancel_is_a_stop_word_not_a_wish_command(world):
    message = handle_inbound(DONOR_PHONE, "cancel", "SM9")
    assert message.command == "stop"


def test_the_resources_ledger_takes_donations_and_refuses_strangers(world):
    worker = worker_of(world.station_a)
    today = wording.local_today()
    entry = resources.add(
        worker,
        station_id=world.station_a.id,
        source="donation",
        kind="money",
        donor_name="爱心企业",
        value="2000",
        received_on=today,
        purpose="助学金",
    )
    assert entry.value == Decimal("2000.00")
    assert _month(worker).wishes.resources_yuan == Decimal("2000.00")
    for someone in (worker_of(world.station_b), None):
        with pytest.raises(ServiceError):
            resources.add(
                someone,
                station_id=world.station_a.id,
                source="donation",
                kind="money",
                donor_name="x",
                value="1",
                received_on=today,
            )
    assert resources.entries(worker_of(world.station_b)) == []
    assert "爱心企业" in resources.as_csv(worker)


def test_a_delivery_photo_must_be_an_image_whatever_it_claims(world):
    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world))
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    wishes.confirm(worker, wish)
    with pytest.raises(ServiceError) as error:
        wish_delivery.deliver(
            worker,
            wish,
            delivered_on=wording.local_today(),
            photo=b"<html><script>alert(1)</script>",
        )
    assert error.value.field == "photo" and wish.status == "confirmed"


def test_two_donors_at_once_in_two_sessions_the_first_commit_wins(world, app):
    """The first-wins rule across database sessions (two web requests at one moment)."""
    wish = make_wish(worker_of(world.station_a), make_child(world))
    db.session.commit()
    wish_id = wish.id
    seen_by_second = db.session.get(Wish, wish_id)  # the second donor's page read it
    assert seen_by_second.status == "published"
    with app.app_context():  # meanwhile the first donor's request claims and commits
        wishes.claim(db.session.get(Wish, wish_id), name="甲", phone="13800000001")
        db.session.commit()
    with pytest.raises(ServiceError, match="刚刚被别人认领"):
        wishes.claim(seen_by_second, name="乙", phone="13800000002")
    db.session.rollback()
    stored = db.session.get(Wish, wish_id)
    assert (stored.status, stored.donor_name) == ("claimed", "甲")
    assert texts_to("+8613800000002") == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("认领 482193", ("482193", "")),
        ("认领482193", ("482193", "")),
        ("RL 482193 王女士", ("482193", "王女士")),
        ("rl482193", ("482193", "")),
        ("ＲＬ　４８２１９３", ("482193", "")),  # full width
        ("认领：482 193，张先生", ("482193", "张先生")),
        ("认领", ("", "")),
        ("认领一个心愿", ("", "")),  # the word without a code: how to claim
        ("rlx", None),
        ("482193", None),  # digits alone are never a wish claim
        ("我想认领 482193", None),  # keyword first
        ("cancel", None),
    ],
)
def test_reading_a_wish_claim_text(body, expected):
    from app.services import wishes_sms

    assert wishes_sms.parse(body) == expected


def _code_in(phone: str) -> str:
    import re

    body = texts_to(phone)[-1].body
    return re.search(r"[0-9]{6}", body).group(0)


def test_a_web_claim_holds_nothing_until_the_code_texted_to_the_phone_comes_back(world):
    from app.models import PhoneCode
    from app.services import wish_claim_codes as codes

    wish = make_wish(worker_of(world.station_a), make_child(world))
    pending = codes.send_code(wish, name="张", phone="138 1234 5678", kind="individual")
    assert wish.status == "published"  # a number typed by a stranger holds nothing
    assert texts_to(DONOR_PHONE)[-1].template == "wish_claim_code"
    assert _code_in(DONOR_PHONE) not in str(pending)  # the browser keeps a ticket only
    with pytest.raises(ServiceError) as error:
        codes.confirm_code(wish, pending, "000000" if _code_in(DONOR_PHONE) != "000000" else "1")
    assert error.value.field == "code"
    assert db.session.scalar(select(PhoneCode.attempts)) == 1  # counted in the database
    codes.confirm_code(wish, pending, _code_in(DONOR_PHONE))
    assert (wish.status, wish.donor_phone, wish.donor_name) == ("claimed", DONOR_PHONE, "张")


def test_a_claim_code_has_five_tries_ten_minutes_and_one_wish(world):
    from app.models import PhoneCode
    from app.services import wish_claim_codes as codes

    worker = worker_of(world.station_a)
    child = make_child(world)
    wish, other = make_wish(worker, child), make_wish(worker, child, what="一双运动鞋")
    pending = codes.send_code(wish, name="张", phone=DONOR_PHONE, kind="individual")
    right = _code_in(DONOR_PHONE)
    with pytest.raises(ServiceError):
        codes.confirm_code(other, pending, right)  # the code is for its own wish
    with pytest.raises(ServiceError):
        codes.confirm_code(wish, None, right)  # nothing pending in this browser
    row = db.session.scalar(select(PhoneCode))
    row.expires_at = row.created_at  # ten minutes later
    with pytest.raises(ServiceError):
        codes.confirm_code(wish, pending, right)
    row.expires_at = row.created_at + timedelta(minutes=10)
    row.attempts = codes.MAX_TRIES
    with pytest.raises(ServiceError):
        codes.confirm_code(wish, dict(pending), right)  # a replayed cookie has no more tries
    assert wish.status == "published"


def test_a_phone_gets_a_few_claim_codes_an_hour(world):
    from app.services import phone_codes
    from app.services import wish_claim_codes as codes

    wish = make_wish(worker_of(world.station_a), make_child(world))
    for _ in range(phone_codes.PHONE_HOURLY_NUMBER_CODES):
        codes.send_code(wish, name="张", phone=DONOR_PHONE, kind="individual")
    with pytest.raises(ServiceError) as error:
        codes.send_code(wish, name="张", phone=DONOR_PHONE, kind="individual")
    assert error.value.field == "phone"
    assert len(texts_to(DONOR_PHONE)) == phone_codes.PHONE_HOURLY_NUMBER_CODES


def test_wish_codes_asked_for_a_volunteers_number_leave_their_account_codes(world):
    """A stranger typing a volunteer's number on the wish board, again and again, must not
    use up the codes that volunteer needs to reset a password (nor the reverse)."""
    from app.services import phone_codes
    from app.services import wish_claim_codes as codes

    volunteer = factories.make_user(station=world.station_a)
    wish = make_wish(worker_of(world.station_a), make_child(world))
    for _ in range(phone_codes.PHONE_HOURLY_NUMBER_CODES):
        codes.send_code(wish, name="张", phone=volunteer.phone, kind="individual")
    phone_codes.start("reset", volunteer.phone, volunteer)
    kinds = [m.template for m in texts_to(volunteer.phone)]
    assert kinds.count("password_reset_code") == 1
    # and the reverse: an account whose codes for the hour are spent, a donor's code goes
    other = factories.make_user(station=world.station_a)
    for _ in range(phone_codes.PHONE_HOURLY_CODES + 1):
        phone_codes.start("reset", other.phone, other)
    codes.send_code(wish, name="李", phone=other.phone, kind="individual")
    kinds = [m.template for m in texts_to(other.phone)]
    assert kinds.count("password_reset_code") == phone_codes.PHONE_HOURLY_CODES
    assert kinds.count("wish_claim_code") == 1


def test_a_donors_thanks_by_sms_files_no_request_and_a_mistyped_rl_code_is_a_claim(world):
    """A donor who answers our texts ("好的，谢谢") is not asking for help; "RL 12345" (a
    code mistyped) is a claim attempt, as "认领 12345" is; 求助 still files a request."""
    from app.models import HelpRequest

    def requests() -> int:
        return db.session.scalar(select(func.count(HelpRequest.id)))

    wish = make_wish(worker_of(world.station_a), make_child(world))
    handle_inbound(DONOR_PHONE, f"RL {wish.code}", "SM1")
    assert wish.status == "claimed"
    before = requests()
    reply = handle_inbound(DONOR_PHONE, "好的，谢谢", "SM2").reply
    assert requests() == before
    assert "求助" in reply
    for body in ("RL 12345", "认领 12345"):
        assert "482193" in handle_inbound("+8613800000021", body, "SM3").reply  # how to claim
    assert requests() == before
    handle_inbound(DONOR_PHONE, "求助 家里老人摔倒了", "SM4")
    assert requests() == before + 1


def _statements_of(call):
    seen = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        result = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return result, seen


def test_the_board_and_the_station_list_read_children_and_townships_in_a_few_statements(world):
    """Not one statement per wish: the children and townships come with the wishes."""
    worker = worker_of(world.station_a)
    for n in range(4):
        make_wish(worker, make_child(world, name=f"孩子{n}"), what=f"书包{n}")
    db.session.flush()
    db.session.expire_all()
    views, seen = _statements_of(wishes.board)
    assert len(views) == 4 and all(view.township and view.age_band for view in views)
    assert len(seen) <= 3, seen  # the wishes, their children, their townships
    db.session.expire_all()
    names, seen = _statements_of(
        lambda: [w.beneficiary.name for w in wish_station.station_wishes(worker)]
    )
    assert sorted(names) == [f"孩子{n}" for n in range(4)]
    db.session.expire_all()
    _, once = _statements_of(lambda: wish_station.station_wishes(worker)[:1])
    assert len(seen) <= len(once) + 1, seen  # the children in one statement, not four


def test_the_children_to_record_a_wish_for_are_chosen_in_sql_before_the_limit(world, monkeypatch):
    """Adults sorting first under the limit do not push the children out of the list."""
    monkeypatch.setattr(wish_station, "CHILDREN_SHOWN", 2)
    worker = worker_of(world.station_a)
    old = wording.local_today().year - 40
    for name in ("丁一", "丁二", "丁三"):
        make_child(world, name=name, birth_year=old, special_groups=["elderly_alone"])
    by_age = make_child(world, name="王二", special_groups=[])
    by_group = make_child(world, name="王一", birth_year=None)
    assert by_age.is_minor and by_group.is_minor
    assert {p.id for p in wish_station.children_for(worker)} == {by_age.id, by_group.id}


def test_a_wish_of_another_month_does_not_count_in_this_months_figures(world):
    """Each figure counts its own stamp in the month: a wish whose life was all last month
    counts nothing; one recorded last month and published now is published, not collected."""
    worker = worker_of(world.station_a)
    child = make_child(world)
    before = _month(worker).wishes
    old = make_wish(worker, child, what="旧书包")
    wishes.claim(old, name="张爱心", phone="138 1234 5678")
    moved = make_wish(worker, child, what="新文具")
    last_day = wording.local_today().replace(day=1) - timedelta(days=10)
    stamp = datetime(last_day.year, last_day.month, last_day.day, 4)  # noon in China
    old.created_at = old.published_at = old.claimed_at = moved.created_at = stamp
    db.session.flush()
    after = _month(worker).wishes
    assert after.collected == before.collected
    assert after.published == before.published + 1
    assert after.claimed == before.claimed
    last_month = stats.month_period(last_day.year, last_day.month)
    last = stats.figures(stats.station_scope(worker), last_month).wishes
    assert (last.collected, last.published, last.claimed) == (2, 1, 1)


def test_has_photo_reads_the_id_not_the_photo(world):
    """The station's page asks whether there is a photo without loading up to 3 MB."""
    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world))
    wishes.claim(wish, name="张爱心", phone="138 1234 5678")
    wishes.confirm(worker, wish)
    assert wish_station.has_photo(wish) is False
    wish_delivery.deliver(worker, wish, delivered_on=wording.local_today(), photo=PNG)
    db.session.flush()
    found, seen = _statements_of(lambda: wish_station.has_photo(wish))
    assert found is True
    assert len(seen) == 1 and "content" not in seen[0].split("FROM")[0].lower()
    assert wish_station.stored_photo(wish).content == PNG


def test_a_station_with_no_phone_sends_no_dangling_call(world):
    """Without a phone on file the wish texts take their phone-less form, as the resident
    texts do: no "有疑问请打" with nothing after it (a station from before phones were
    required; the model refuses a blank one now, so the test writes it in SQL)."""
    station = world.station_a
    db.session.execute(update(Station).where(Station.id == station.id).values(phone=""))
    db.session.expire(station)
    worker = worker_of(world.station_a)
    child = make_child(world)
    wish = make_wish(worker, child)
    wishes.claim(wish, name="张爱心", phone="138 1234 5678")
    wishes.reject(worker, wish)
    sent = texts_to(DONOR_PHONE)
    assert [m.template for m in sent] == [
        "wish_claimed_donor_no_phone",
        "wish_claim_rejected_no_phone",
    ]
    assert all("请打" not in m.body and "电话" not in m.body for m in sent)
    assert all(m.body.endswith(("联系", "谢谢您！")) for m in sent)


def test_an_opted_out_donor_is_sent_nothing_the_dispatcher_holds_it_back(world):
    """The texts go to the outbox; the dispatcher holds back those to a number that replied
    STOP, as for every other text (no check of its own in the wish texts)."""
    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world))
    delivery.opt_out(DONOR_PHONE)
    wishes.claim(wish, name="张爱心", phone="138 1234 5678")
    db.session.commit()
    dispatch_pending()
    sent = texts_to(DONOR_PHONE)
    assert [m.template for m in sent] == ["wish_claimed_donor"]
    assert [(m.status, m.last_error) for m in sent] == [
        ("suppressed", "not sent: this number replied STOP")
    ]
