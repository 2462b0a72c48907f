"""Issue 13, an outside tester's findings on the accounts fixes: one-time codes are never
shown on a staff page (A), sign-in never tells a fresh sign-up from a taken number (B),
a code flow allows five wrong tries in all, resends included (C), and sign-ups nobody
confirmed go away after a day (D)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import models
from app.extensions import db
from app.models import OutboxMessage, TeamMember, User, UserRole, VolunteerProfile
from app.models.base import utcnow
from tests import factories
from tests.blueprints.test_accounts_issue13 import (
    NEW_PHONE,
    TAKEN_PHONE,
    confirm,
    error_text,
    login,
    post_page,
    sign_up,
    sms_code,
    sms_count,
    without_tokens,
)
from tests.volunteer_support import fast_passwords

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__, "client")

SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
SIGN_UP_HINT = "刚报名的志愿者要先输入短信里的验证码才能登录"


# --- A: one-time codes never appear on a staff page ----------------------------------------


@pytest.mark.parametrize(
    "viewer",
    [
        ("social_worker", "station_a"),
        ("county_supervisor", "county_centre"),
        ("social_worker", "county_centre"),
    ],
    ids=["shegong", "dudao", "centre-worker"],
)
def test_staff_never_read_a_reset_or_sign_up_code_on_the_sms_page(
    app, client, world, login_as, viewer
):
    role, station = viewer
    victim = factories.make_user(
        roles=("station_admin",), station=world.station_a, phone=TAKEN_PHONE
    )
    db.session.commit()
    attacker_browser = app.test_client()
    post_page(attacker_browser, "/reset", {"phone": "139 5555 2222"})
    reset_code = sms_code(TAKEN_PHONE, "password_reset_code")
    sign_up(app.test_client(), world, NEW_PHONE)
    signup_code = sms_code(NEW_PHONE, "signup_code")

    login_as(role, station=getattr(world, station))
    pages = [
        client.get(url, headers=headers).get_data(as_text=True)
        for url in ("/sms/sent", "/sms/sent?show=waiting", "/sms/sent?show=all")
        for headers in ({}, {"HX-Request": "true"})
    ]
    pages.append(client.get("/sms/sent?show=problems").get_data(as_text=True))
    for page in pages[:-1]:
        # The texts are listed (the worker sees a code went out) with the code hidden.
        assert "您重设密码的验证码：••••••" in page
        assert "您的志愿者注册验证码：••••••" in page
    for page in pages:
        assert reset_code not in page and signup_code not in page

    # Nothing read there completes the reset.
    seen = {digits for page in pages for digits in SIX_DIGITS.findall(page)}
    for guess in sorted(seen)[:5]:
        post_page(attacker_browser, "/reset/code", {"code": guess, "password": "owned-by-staff1"})
    assert not db.session.get(User, victim.id).check_password("owned-by-staff1")
    assert db.session.get(User, victim.id).check_password(factories.PASSWORD)


def test_every_template_that_carries_a_one_time_code_is_hidden_from_staff(world):
    from app.services import phone_codes
    from app.services.notifications import queue_sms
    from app.services.notifications.templates import SECRET_TEMPLATES
    from app.services.outbox_view import shown_bodies

    assert set(phone_codes.TEMPLATES.values()) <= SECRET_TEMPLATES
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    request = factories.make_request(world.station_a, contact_phone=NEW_PHONE)
    messages = [
        queue_sms(NEW_PHONE, template, language=language, request_id=request.id, code="482913")
        for template in sorted(SECRET_TEMPLATES)
        for language in ("zh", "en")
    ]
    db.session.flush()
    bodies = shown_bodies(worker, messages)
    assert all("482913" in message.body for message in messages)  # the SMS itself has it
    assert not any("482913" in body for body in bodies.values())
    assert all("••••••" in body for body in bodies.values())


# --- B: sign-in answers a fresh sign-up exactly as a wrong password -------------------------


def test_sign_in_after_sign_up_answers_a_new_number_as_a_taken_one(app, world):
    owner = factories.make_user(roles=("volunteer",), phone=TAKEN_PHONE, password="owners-pass-1")
    db.session.commit()
    password = "helping-hands-1"
    answers = []
    for phone, typed in ((NEW_PHONE, "139 1111 2222"), (TAKEN_PHONE, "139 5555 2222")):
        browser = app.test_client()
        sign_up(browser, world, phone, password=password)
        codes_before = db.session.scalar(select(func.count(OutboxMessage.id)))
        answer = login(browser, typed, password)
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == codes_before
        html = without_tokens(answer.get_data(as_text=True)).replace(typed, "TYPED")
        answers.append((answer.status_code, answer.headers.get("Location"), html))
        assert browser.get("/v/tasks").status_code == 302  # not signed in
    assert answers[0] == answers[1]
    status, _, html = answers[0]
    assert status == 422
    assert "手机号、用户名或密码不正确" in html and SIGN_UP_HINT in html
    assert db.session.get(User, owner.id).check_password("owners-pass-1")


def test_every_failed_sign_in_page_carries_the_same_hint(client, world):
    factories.make_user(roles=("volunteer",), username="lixiao", phone=TAKEN_PHONE)
    db.session.commit()
    assert SIGN_UP_HINT not in client.get("/login").get_data(as_text=True)
    for who in ("lixiao", "nobody-here", "139 5555 2222"):
        page = login(client, who, "not-the-password").get_data(as_text=True)
        assert SIGN_UP_HINT in page


def test_sign_in_to_an_unconfirmed_sign_up_counts_as_a_failure(app, client, world):
    from app.services import auth

    sign_up(app.test_client(), world, NEW_PHONE, password="helping-hands-1")
    codes = sms_count(NEW_PHONE, "signup_code")
    pages = [
        error_text(login(client, "139 1111 2222", "helping-hands-1").get_data(as_text=True))
        for _ in range(5)
    ]
    assert "请等 1 分钟" not in pages[3][0] and "请等 1 分钟" in pages[4][0]  # locked as usual
    throttle = db.session.get(models.SignInThrottle, auth._key(NEW_PHONE))
    assert throttle.failures == 5
    assert sms_count(NEW_PHONE, "signup_code") == codes  # nothing sent


# --- C: five wrong tries per flow, resends included -----------------------------------------


def _two_minutes_later() -> None:
    db.session.execute(update(models.PhoneCode).values(sent_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()


def test_a_resent_reset_code_does_not_give_five_more_tries(client, world):
    user = factories.make_user(roles=("volunteer",), phone=TAKEN_PHONE)
    db.session.commit()
    post_page(client, "/reset", {"phone": TAKEN_PHONE})
    code = sms_code(TAKEN_PHONE, "password_reset_code")
    wrong = {"code": "000000" if code != "000000" else "111111", "password": "a-new-secret-9"}
    for _ in range(3):
        assert post_page(client, "/reset/code", wrong).status_code == 422
    _two_minutes_later()
    post_page(client, "/reset/resend", {}, page="/reset/code")
    code = sms_code(TAKEN_PHONE, "password_reset_code")
    wrong["code"] = "000000" if code != "000000" else "111111"
    fourth = post_page(client, "/reset/code", wrong).get_data(as_text=True)
    assert "验证码不对" in fourth and "请重新开始" not in fourth
    fifth = post_page(client, "/reset/code", wrong)
    assert fifth.status_code == 422 and "请重新开始" in fifth.get_data(as_text=True)
    # Five wrong tries in this flow: even the newest right code no longer works ...
    right = post_page(client, "/reset/code", {"code": code, "password": "a-new-secret-9"})
    assert right.status_code == 422
    assert "请重新开始" in right.get_data(as_text=True)
    # ... and no new code comes for it.
    sent = sms_count(TAKEN_PHONE, "password_reset_code")
    _two_minutes_later()
    post_page(client, "/reset/resend", {}, page="/reset/code")
    assert sms_count(TAKEN_PHONE, "password_reset_code") == sent
    assert not db.session.get(User, user.id).check_password("a-new-secret-9")

    # Starting again works.
    post_page(client, "/reset", {"phone": TAKEN_PHONE})
    code = sms_code(TAKEN_PHONE, "password_reset_code")
    done = post_page(client, "/reset/code", {"code": code, "password": "a-new-secret-9"})
    assert done.status_code == 302
    assert db.session.get(User, user.id).check_password("a-new-secret-9")


def test_a_resent_sign_up_code_does_not_give_five_more_tries(client, world):
    sign_up(client, world, NEW_PHONE)
    code = sms_code(NEW_PHONE, "signup_code")
    for _ in range(4):
        assert confirm(client, "000000" if code != "000000" else "111111").status_code == 422
    _two_minutes_later()
    post_page(client, "/v/signup/confirm/resend", {}, page="/v/signup/confirm")
    code = sms_code(NEW_PHONE, "signup_code")
    assert confirm(client, "000000" if code != "000000" else "111111").status_code == 422
    assert confirm(client, code).status_code == 422
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    assert user.phone_confirmed_at is None


# --- D: sign-ups nobody confirmed go away after a day ---------------------------------------


def test_the_worker_deletes_day_old_unconfirmed_sign_ups(app, world):
    from app.jobs import accounts

    confirmed = factories.make_volunteer(world.station_a, phone=TAKEN_PHONE)
    team = factories.make_team(world.station_a, leader=confirmed)
    sign_up(app.test_client(), world, NEW_PHONE)
    stale = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    db.session.add(TeamMember(team_id=team.id, user_id=stale.id))
    fresh_phone = "+8613922223333"
    sign_up(app.test_client(), world, fresh_phone)
    fresh = db.session.scalars(select(User).where(User.phone == fresh_phone)).one()
    staff = factories.make_user(roles=("social_worker",), station=world.station_a)
    day_old = utcnow() - timedelta(hours=25)
    for user in (stale, confirmed, staff):
        user.created_at = day_old
    staff.phone_confirmed_at = None  # not a volunteer's sign-up: never deleted
    db.session.execute(update(models.PhoneCode).values(created_at=day_old))
    db.session.commit()
    stale_id, code_sms = stale.id, sms_count(NEW_PHONE, "signup_code")

    accounts.forget_old_records()

    assert db.session.get(User, stale_id) is None
    assert db.session.get(VolunteerProfile, stale_id) is None
    assert not db.session.scalars(select(UserRole).where(UserRole.user_id == stale_id)).all()
    assert not db.session.scalars(select(TeamMember).where(TeamMember.user_id == stale_id)).all()
    # The SMS stays in the outbox's history, no longer tied to an account.
    assert sms_count(NEW_PHONE, "signup_code") == code_sms
    assert not db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == stale_id)
    ).all()
    for kept in (fresh, confirmed, staff):
        assert db.session.get(User, kept.id) is not None
    # The number is free again: signing up with it starts afresh.
    browser = app.test_client()
    assert sign_up(browser, world, NEW_PHONE).status_code == 302
    assert confirm(browser, sms_code(NEW_PHONE, "signup_code")).status_code == 302


def test_a_sign_up_taken_over_within_the_day_is_not_deleted(app, world):
    from app.jobs import accounts

    sign_up(app.test_client(), world, NEW_PHONE)
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    user.created_at = utcnow() - timedelta(hours=30)
    db.session.commit()
    browser = app.test_client()
    sign_up(browser, world, NEW_PHONE)  # the phone's owner, a day later, mid-confirm
    accounts.forget_old_records()
    assert db.session.get(User, user.id) is not None
    assert confirm(browser, sms_code(NEW_PHONE, "signup_code")).status_code == 302


def test_an_unconfirmed_sign_up_referenced_elsewhere_is_kept(app, world):
    from app.jobs import accounts

    sign_up(app.test_client(), world, NEW_PHONE)
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    user.created_at = utcnow() - timedelta(hours=30)
    db.session.execute(update(models.PhoneCode).values(created_at=utcnow() - timedelta(hours=30)))
    factories.make_request(world.station_a, submitter_id=user.id)
    db.session.commit()
    accounts.forget_old_records()
    assert db.session.get(User, user.id) is not None


# --- a flow that a newer sign-up replaced stays dead ---------------------------------------


def test_a_sign_up_taken_over_cannot_be_revived_by_resending_its_code(app, world):
    """Second outside test: the victim signs up, an attacker signs up with the same number
    (taking the unconfirmed account over with their password); the victim's resend must
    not bring the replaced flow back, or the victim confirms the attacker's account."""
    victim, attacker = app.test_client(), app.test_client()
    sign_up(victim, world, NEW_PHONE, password="victim-pass-1")
    sign_up(attacker, world, NEW_PHONE, name="攻击者", password="attacker-pass-1")
    before = sms_count(NEW_PHONE, "signup_code")
    _two_minutes_later()
    post_page(victim, "/v/signup/confirm/resend", {}, page="/v/signup/confirm")
    assert sms_count(NEW_PHONE, "signup_code") == before  # nothing sent on a dead flow
    newest = sms_code(NEW_PHONE, "signup_code")  # the code of the attacker's sign-up
    assert confirm(victim, newest).status_code == 422
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    assert user.phone_confirmed_at is None
    # The phone's owner signs up again and takes the account back for good.
    sign_up(victim, world, NEW_PHONE, password="victim-pass-1")
    assert confirm(victim, sms_code(NEW_PHONE, "signup_code")).status_code == 302
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    assert user.phone_confirmed_at is not None and user.check_password("victim-pass-1")


def test_a_sign_up_taken_over_at_the_hourly_cap_leaves_the_old_code_dead(app, world):
    """Code review: with the phone's hourly cap used up, the takeover sent no code and
    retired nothing, so the victim's code confirmed the attacker's name and password."""
    victim, attacker = app.test_client(), app.test_client()
    sign_up(victim, world, NEW_PHONE, password="victim-pass-1")
    code = sms_code(NEW_PHONE, "signup_code")
    for _ in range(4):  # fill the phone's cap of code flows for the hour
        post_page(app.test_client(), "/reset", {"phone": NEW_PHONE})
    sign_up(attacker, world, NEW_PHONE, name="攻击者", password="attacker-pass-1")
    assert confirm(victim, code).status_code == 422
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    assert user.phone_confirmed_at is None
