"""Community activities by SMS (issue 18): 报名/BM, 退出/TC, 签到/QD and a code, which
collide with no other command (digits alone, STOP words)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import HelpRequest
from app.services import activities
from app.services.activities_sms import parse
from app.services.notifications.inbound import Command, handle_inbound
from app.services.notifications.inbound import parse as parse_inbound
from tests import factories
from tests.activities_support import make_worker, move_start, post, templates_to


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("报名 52817", ("sign_up", "52817")),
        ("报名52817", ("sign_up", "52817")),
        ("ＢＭ　５２８１７", ("sign_up", "52817")),
        ("bm:52817", ("sign_up", "52817")),
        ("退出 52817", ("withdraw", "52817")),
        ("TC 52817", ("withdraw", "52817")),
        ("签到 4821", ("check_in", "4821")),
        ("签到+4821", ("check_in", "4821")),
        ("qd 4821", ("check_in", "4821")),
        ("4821", None),
        ("cancel", None),
        ("报名", None),
        ("我想报名参加活动", None),
    ],
)
def test_activity_commands(body, expected):
    assert parse(body) == expected


def test_the_offer_and_stop_commands_are_untouched():
    assert parse_inbound("4821") == Command("accept", "4821")
    assert parse_inbound("cancel") == Command("stop")


def test_sign_up_withdraw_and_check_in_by_text(world):
    activity = post(make_worker(world.station_a), world.village_a1, capacity=1)
    a = factories.make_volunteer(world.station_a)
    b = factories.make_volunteer(world.station_a)
    reply = handle_inbound(a.phone, f"报名 {activity.code}", None).reply
    assert "已报名" in reply and activity.code in reply
    assert activities.signup_of(activity, a).channel == "sms"
    assert "候补" in handle_inbound(b.phone, f"BM {activity.code}", None).reply
    assert templates_to(a.phone) == []  # the answer is the confirmation: no second text
    assert "已退出" in handle_inbound(a.phone, f"退出 {activity.code}", None).reply
    assert activities.signup_of(activity, b).status == "signed_up"
    assert templates_to(b.phone) == ["activity_promoted"]
    move_start(activity, timedelta(minutes=20))
    reply = handle_inbound(b.phone, f"签到 {activity.checkin_code}", None).reply
    assert "已签到" in reply
    assert activities.signup_of(activity, b).status == "attended"


def test_a_wrong_code_is_refused_in_plain_words(world):
    volunteer = factories.make_volunteer(world.station_a)
    reply = handle_inbound(volunteer.phone, "报名 99999", None).reply
    assert "99999" in reply
    reply = handle_inbound(volunteer.phone, "QD 1234", None).reply
    # no check-in open for them now: the refusal says when it opens and for whom
    assert "签到时间为活动开始前两小时至结束后两小时，仅限已获名额的志愿者。" in reply


def test_a_command_from_someone_without_an_account_files_nothing_and_says_what_to_do(world):
    """Review 1: a stranger or a volunteer whose phone is not confirmed texting 报名/签到
    is told to sign up and confirm the phone; no help request is filed."""
    activity = post(make_worker(world.station_a), world.village_a1)
    unconfirmed = factories.make_volunteer(world.station_a)
    unconfirmed.phone_confirmed_at = None
    db.session.flush()
    for phone, body in (
        ("+8613900001111", f"报名 {activity.code}"),
        ("+8613900001111", f"签到 {activity.checkin_code}"),
        (unconfirmed.phone, f"报名 {activity.code}"),
    ):
        message = handle_inbound(phone, body, None)
        assert message.request_id is None
        assert "确认本手机号" in message.reply
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 0
    assert activity.signups == []


def test_an_english_speaking_volunteer_is_answered_in_english(world):
    activity = post(make_worker(world.station_a), world.village_a1, title="Haircuts at the square")
    volunteer = factories.make_volunteer(world.station_a, language="en")
    reply = handle_inbound(volunteer.phone, f"bm {activity.code}", None).reply
    assert reply.startswith("[Linli] You are signed up: Haircuts at the square")
    reply = handle_inbound(volunteer.phone, f"TC {activity.code}", None).reply
    assert "withdrawn" in reply
