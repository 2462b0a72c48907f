"""Issue 13, items 13 and 14: a volunteer's phone is confirmed by SMS code before the
account counts, and no page tells whether an account exists (sign-up, sign-in, reset);
sign-in locks out with back-off; a forgotten password is reset by SMS code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import models
from app.extensions import db
from app.models import HelpRequest, OutboxMessage, User
from app.models.base import utcnow
from app.services.notifications.inbound import handle_inbound
from tests import factories
from tests.conftest import csrf_token_from
from tests.volunteer_support import fast_passwords, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__, "client")

NEW_PHONE = "+8613911112222"
TAKEN_PHONE = "+8613955552222"  # masked alike: 139****2222


def signup_data(world, phone: str, **overrides) -> dict:
    data = {
        "name": "李志愿",
        "phone": phone,
        "password": "helping-hands-1",
        "skills": ["shopping", "meal_delivery"],
        "slots": ["0-morning", "5-afternoon"],
        "village_id": str(world.village_a2.id),
        "radius_km": "5",
        "team_id": "",
        "lat": "",
        "lon": "",
    }
    data.update(overrides)
    return data


def sign_up(client, world, phone: str = NEW_PHONE, **overrides):
    page = client.get("/v/signup").get_data(as_text=True)
    data = {**signup_data(world, phone, **overrides), "csrf_token": csrf_token_from(page)}
    return client.post("/v/signup", data=data)


def sms_code(phone: str, template: str) -> str:
    """The code in the newest SMS of ``template`` to ``phone`` (queued, not sent yet)."""
    message = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_phone == phone, OutboxMessage.template == template)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, f"no {template} SMS to {phone}"
    assert message.status == "pending"  # the worker sends it, never the request
    return re.search(r"\d{6}", message.body).group(0)


def sms_count(phone: str, template: str) -> int:
    return db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.to_phone == phone, OutboxMessage.template == template
        )
    )


def post_page(client, url: str, data: dict, page: str | None = None):
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token_from(html)})


def confirm(client, code: str):
    return post_page(client, "/v/signup/confirm", {"code": code})


def login(client, who: str, password: str):
    return post_page(client, "/login", {"login": who, "password": password})


def without_tokens(html: str) -> str:
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", html)
    return re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", html)


def error_text(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">([^<]*)</p>', html)


# --- item 13: the phone is confirmed before the account counts ----------------------------


def test_sign_up_waits_for_the_code_from_the_sms_and_says_why(client, world):
    response = sign_up(client, world)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/v/signup/confirm")
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    assert user.phone_confirmed_at is None and user.volunteer.status == "pending"
    page = client.get("/v/signup/confirm").get_data(as_text=True)
    assert "为了确认这个号码是您本人的" in page and "139****2222" in page
    assert client.get("/v/pending").status_code == 302  # not signed in yet
    code = sms_code(NEW_PHONE, "signup_code")

    wrong = confirm(client, "000000" if code != "000000" else "111111")
    assert wrong.status_code == 422 and "验证码不对" in wrong.get_data(as_text=True)
    assert db.session.get(User, user.id).phone_confirmed_at is None

    right = confirm(client, code)
    assert right.status_code == 302 and right.headers["Location"].endswith("/v/pending")
    assert db.session.get(User, user.id).phone_confirmed_at is not None
    assert "正在等社工站审核" in client.get("/v/pending").get_data(as_text=True)
    again = client.get("/v/signup/confirm")  # the flow is over: back to the form
    assert again.status_code == 302


def test_an_unconfirmed_sign_up_cannot_be_approved_sign_in_or_own_the_phone(
    app, client, world, login_as
):
    sign_up(app.test_client(), world)
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()

    # Sign-in with the right password: answered as a wrong password (a redirect would tell
    # a new number from a taken one), nothing sent; the page says how to confirm.
    before = sms_count(NEW_PHONE, "signup_code")
    response = login(client, "139 1111 2222", "helping-hands-1")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "手机号、用户名或密码不正确" in page and "请重新报名" in page
    assert client.get("/v/tasks").status_code == 302
    assert sms_count(NEW_PHONE, "signup_code") == before

    # The station neither sees nor approves it.
    login_as("station_admin")
    listing = client.get("/station/volunteers").get_data(as_text=True)
    assert "李志愿" not in listing
    refused = post_page(
        client, f"/station/volunteers/{user.id}/approve", {}, page="/station/volunteers"
    )
    assert refused.status_code == 422
    assert db.session.get(User, user.id).volunteer.status == "pending"

    # A text from that phone is a resident's call for help, not a volunteer's chat.
    message = handle_inbound(NEW_PHONE, "我家老人摔倒了，请派人来帮忙", "SM-issue13-1")
    db.session.commit()
    assert message.request_id is not None
    assert db.session.get(HelpRequest, message.request_id).contact_phone == NEW_PHONE


def test_the_confirmed_sign_up_can_be_approved(app, client, world, login_as):
    volunteer = app.test_client()
    sign_up(volunteer, world)
    confirm(volunteer, sms_code(NEW_PHONE, "signup_code"))
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    login_as("station_admin")
    assert "李志愿" in client.get("/station/volunteers").get_data(as_text=True)
    approved = post_page(
        client, f"/station/volunteers/{user.id}/approve", {}, page="/station/volunteers"
    )
    assert approved.status_code == 302
    assert db.session.get(User, user.id).volunteer.status == "approved"


def test_the_phones_owner_takes_over_a_sign_up_someone_else_made(app, world):
    stranger, owner = app.test_client(), app.test_client()
    sign_up(stranger, world, name="冒名者", password="stranger-pass-1")
    first_code = sms_code(NEW_PHONE, "signup_code")
    sign_up(owner, world, name="王真名", password="owners-pass-12")
    owner_code = sms_code(NEW_PHONE, "signup_code")
    # The stranger's flow is dead, even with the first code.
    assert confirm(stranger, first_code).status_code == 422
    assert confirm(owner, owner_code).status_code == 302
    user = db.session.scalars(select(User).where(User.phone == NEW_PHONE)).one()
    assert user.name == "王真名" and user.phone_confirmed_at is not None
    assert db.session.scalar(select(func.count(User.id)).where(User.phone == NEW_PHONE)) == 1


def test_a_code_works_once_for_ten_minutes_and_five_tries(app, client, world):
    sign_up(client, world)
    code = sms_code(NEW_PHONE, "signup_code")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert confirm(client, wrong).status_code == 422
    assert confirm(client, code).status_code == 422  # five wrong tries: this code is dead

    other = app.test_client()
    sign_up(other, world)
    code = sms_code(NEW_PHONE, "signup_code")
    db.session.execute(update(models.PhoneCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert confirm(other, code).status_code == 422  # expired

    third = app.test_client()
    sign_up(third, world)
    code = sms_code(NEW_PHONE, "signup_code")
    assert confirm(third, code).status_code == 302
    with third.session_transaction() as session:
        session["signup_ticket"] = db.session.scalars(
            select(models.PhoneCode.ticket).order_by(models.PhoneCode.id.desc())
        ).first()
    assert confirm(third, code).status_code == 422  # used once already


def test_a_new_code_once_a_minute(client, world):
    sign_up(client, world)
    first = sms_code(NEW_PHONE, "signup_code")
    resend = post_page(client, "/v/signup/confirm/resend", {}, page="/v/signup/confirm")
    assert resend.status_code == 302
    assert sms_count(NEW_PHONE, "signup_code") == 1  # too soon
    db.session.execute(update(models.PhoneCode).values(sent_at=utcnow() - timedelta(minutes=2)))
    post_page(client, "/v/signup/confirm/resend", {}, page="/v/signup/confirm")
    assert sms_count(NEW_PHONE, "signup_code") == 2
    second = sms_code(NEW_PHONE, "signup_code")
    if second != first:
        assert confirm(client, first).status_code == 422
    assert confirm(client, second).status_code == 302


# --- item 14: nothing tells whether an account exists --------------------------------------


def test_sign_up_answers_a_registered_phone_exactly_as_a_new_one(app, world):
    owner = volunteer_near(world, 1, phone=TAKEN_PHONE, name="老会员")
    db.session.commit()
    old_hash = owner.password_hash
    new, taken = app.test_client(), app.test_client()
    new_post = sign_up(new, world, NEW_PHONE)
    taken_post = sign_up(taken, world, TAKEN_PHONE)
    assert (new_post.status_code, new_post.headers["Location"]) == (
        taken_post.status_code,
        taken_post.headers["Location"],
    )
    assert new_post.get_data() == taken_post.get_data()
    new_page = new.get("/v/signup/confirm").get_data(as_text=True)
    taken_page = taken.get("/v/signup/confirm").get_data(as_text=True)
    assert without_tokens(new_page) == without_tokens(taken_page)

    # The registered phone's owner is told by SMS, and nothing about the account changed.
    told = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "signup_already_registered")
    ).one()
    assert told.to_phone == TAKEN_PHONE and "已有账号" in told.body and "/reset" in told.body
    assert sms_count(TAKEN_PHONE, "signup_code") == 0
    assert db.session.get(User, owner.id).password_hash == old_hash
    assert db.session.get(User, owner.id).name == "老会员"

    # Any code is refused there with the same words as a wrong code for a new phone.
    new_wrong = confirm(new, "123456" if sms_code(NEW_PHONE, "signup_code") != "123456" else "1")
    taken_wrong = confirm(taken, "123456")
    assert new_wrong.status_code == taken_wrong.status_code == 422
    assert error_text(new_wrong.get_data(as_text=True)) == error_text(
        taken_wrong.get_data(as_text=True)
    )


def test_sign_in_checks_one_password_hash_for_known_and_unknown_accounts(
    client, world, monkeypatch
):
    factories.make_user(roles=("volunteer",), username="lixiao", phone=TAKEN_PHONE)
    db.session.commit()
    import app.services.auth as auth

    calls: list[str] = []
    real = auth.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    monkeypatch.setattr(auth, "_dummy_hash", None)  # made afresh, like this test's users
    known = login(client, "lixiao", "not-the-password")
    assert len(calls) == 1
    unknown = login(client, "nobody-here", "not-the-password")
    assert len(calls) == 2
    assert known.status_code == unknown.status_code == 422
    assert error_text(known.get_data(as_text=True)) == error_text(unknown.get_data(as_text=True))
    assert "手机号、用户名或密码不正确" in unknown.get_data(as_text=True)
    # The dummy hash costs the same as a real one: same method and parameters.
    assert calls[1].split("$")[0] == calls[0].split("$")[0]


def test_sign_in_locks_out_with_back_off_alike_for_known_and_unknown(client, world):
    factories.make_user(roles=("volunteer",), phone=TAKEN_PHONE)
    db.session.commit()

    def five_wrong(who: str) -> list[list[str]]:
        return [
            error_text(login(client, who, "wrong-guess").get_data(as_text=True)) for _ in range(5)
        ]

    known = five_wrong("139 5555 2222")
    unknown = five_wrong("139 1111 2222")
    assert known == unknown  # the same words at the same tries
    assert "请等 1 分钟" not in known[3][0] and "请等 1 分钟" in known[4][0]

    locked = login(client, "139 5555 2222", factories.PASSWORD)  # right, but locked
    assert locked.status_code == 422 and client.get("/v/tasks").status_code == 302

    # After the minute, one more wrong try locks for 2 minutes, then 4.
    for minutes in (2, 4):
        db.session.execute(
            update(models.SignInThrottle).values(locked_until=utcnow() - timedelta(seconds=1))
        )
        again = login(client, "139 5555 2222", "wrong-guess").get_data(as_text=True)
        assert f"请等 {minutes} 分钟" in again

    db.session.execute(
        update(models.SignInThrottle).values(locked_until=utcnow() - timedelta(seconds=1))
    )
    assert login(client, "139 5555 2222", factories.PASSWORD).status_code == 302
    # Success starts the count again; the unknown identifier keeps its own.
    assert db.session.scalar(select(func.count()).select_from(models.SignInThrottle)) == 1


def test_password_reset_by_sms_code_ends_old_sessions(app, client, world):
    user = factories.make_user(roles=("volunteer",), phone=TAKEN_PHONE)
    factories.make_user(roles=("volunteer",), username="nobody-else")
    db.session.commit()
    old_device = app.test_client()
    assert login(old_device, "139 5555 2222", factories.PASSWORD).status_code == 302
    assert old_device.get("/v/tasks").status_code == 200

    assert 'href="/reset"' in client.get("/login").get_data(as_text=True)
    started = post_page(client, "/reset", {"phone": "139 5555 2222"})
    assert started.status_code == 302 and started.headers["Location"].endswith("/reset/code")
    page = client.get("/reset/code").get_data(as_text=True)
    assert "139****2222" in page
    code = sms_code(TAKEN_PHONE, "password_reset_code")

    short = post_page(client, "/reset/code", {"code": code, "password": "short"})
    assert short.status_code == 422
    done = post_page(client, "/reset/code", {"code": code, "password": "a-new-secret-9"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    assert old_device.get("/v/tasks").status_code == 302  # the old session ended
    assert login(client, "139 5555 2222", factories.PASSWORD).status_code == 422
    assert login(client, "139 5555 2222", "a-new-secret-9").status_code == 302
    assert db.session.get(User, user.id).check_password("a-new-secret-9")
    assert client.get("/reset/code").headers["Location"].endswith("/reset")  # flow over
    with client.session_transaction() as session:  # a copy of the old cookie: the code is used
        session["reset_ticket"] = db.session.scalars(select(models.PhoneCode.ticket)).one()
    again = post_page(client, "/reset/code", {"code": code, "password": "another-one-9"})
    assert again.status_code == 422 and "验证码不对" in again.get_data(as_text=True)


def test_reset_answers_an_unknown_phone_exactly_as_a_known_one(app, world):
    factories.make_user(roles=("social_worker",), station=world.station_a, phone=TAKEN_PHONE)
    db.session.commit()
    known, unknown = app.test_client(), app.test_client()
    known_post = post_page(known, "/reset", {"phone": TAKEN_PHONE})
    unknown_post = post_page(unknown, "/reset", {"phone": NEW_PHONE})
    assert known_post.headers["Location"] == unknown_post.headers["Location"]
    assert known_post.get_data() == unknown_post.get_data()
    known_page = known.get("/reset/code").get_data(as_text=True)
    unknown_page = unknown.get("/reset/code").get_data(as_text=True)
    assert without_tokens(known_page) == without_tokens(unknown_page)
    assert "如果 139****2222 有账号" in known_page
    assert sms_count(TAKEN_PHONE, "password_reset_code") == 1  # staff reset too
    assert sms_count(NEW_PHONE, "password_reset_code") == 0
    data = {"code": "123456", "password": "whatever-pass-1"}
    unknown_wrong = post_page(unknown, "/reset/code", data)
    assert unknown_wrong.status_code == 422
    assert "验证码不对" in unknown_wrong.get_data(as_text=True)


def test_reset_lifts_a_lockout_and_confirms_the_phone(client, world):
    user = factories.make_user(roles=("volunteer",), phone=TAKEN_PHONE)
    user.phone_confirmed_at = None
    db.session.commit()
    for _ in range(5):
        login(client, "139 5555 2222", "wrong-guess")
    post_page(client, "/reset", {"phone": TAKEN_PHONE})
    code = sms_code(TAKEN_PHONE, "password_reset_code")
    post_page(client, "/reset/code", {"code": code, "password": "a-new-secret-9"})
    assert login(client, "139 5555 2222", "a-new-secret-9").status_code == 302
    assert db.session.get(User, user.id).phone_confirmed_at is not None


def test_codes_for_one_phone_are_capped_per_hour(app, world):
    from app.services import auth

    factories.make_user(roles=("volunteer",), phone=TAKEN_PHONE)
    tickets = {auth.start_reset(TAKEN_PHONE) for _ in range(7)}
    assert len(tickets) == 7  # every try gets its answer ...
    assert sms_count(TAKEN_PHONE, "password_reset_code") == 5  # ... not every one an SMS


def test_the_worker_forgets_day_old_failures_and_code_flows(app, world):
    from app.jobs import accounts
    from app.jobs.scheduler import _jobs
    from app.services import auth

    assert "forget old sign-in failures" in {job.name for job in _jobs()}
    user = factories.make_user(roles=("volunteer",), phone=TAKEN_PHONE)
    auth.sign_in("139 5555 2222", "wrong-guess")
    auth.sign_in("nobody-here", "wrong-guess")
    auth.start_reset(TAKEN_PHONE)
    db.session.commit()
    assert accounts.forget_old_records() == 0
    old = utcnow() - timedelta(days=2)
    db.session.execute(
        update(models.SignInThrottle)
        .where(models.SignInThrottle.key == auth._key("nobody-here"))
        .values(last_failure_at=old)
    )
    db.session.execute(update(models.PhoneCode).values(created_at=old))
    db.session.commit()
    assert accounts.forget_old_records() == 2
    left = db.session.scalars(select(models.SignInThrottle)).all()
    assert [row.key for row in left] == [auth._key(user.phone)]
    assert db.session.scalar(select(func.count()).select_from(models.PhoneCode)) == 0
