"""The station admin's staff page over HTTP: who may open it, what it shows, and each
action refused to everyone but the admin of the worker's station."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, User
from app.security import SESSION_VERSION_KEY
from tests import factories
from tests.console_support import outbox, post, text

NEW_PHONE = "+8613912340001"
ACTIONS = ("suspend", "reactivate", "reset")


def _worker(station, **kwargs):
    return factories.make_user(roles=("social_worker",), station=station, **kwargs)


def _new(station, **overrides) -> dict:
    data = {
        "name": "陈思远",
        "phone": "139 1234 0001",
        "role": "social_worker",
        "station_id": str(station.id),
        "certificate_level": "assistant",
        "training_hours": "12.5",
    }
    data.update(overrides)
    return data


def _add(client, data):
    return post(client, "/station/staff", data, page="/station/staff")


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def _errors(page: str) -> list[str]:
    return [
        html.unescape(e) for e in re.findall(r'<p class="error" role="alert">([^<]*)</p>', page)
    ]


def _signed_in(app, user):
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session[SESSION_VERSION_KEY] = user.session_version or 0
    return other


# --- who may open the page -----------------------------------------------------------------


def test_the_admin_sees_staff_phones_certificates_and_the_count(client, world, login_as):
    admin = login_as("station_admin", name="王站长", certificate_level="social_worker")
    _worker(world.station_a, name="李社工", phone="+8613912345678", certificate_level="assistant")
    _worker(world.station_a, name="钱停用", active=False, training_hours=Decimal("8.5"))
    _worker(world.station_b, name="外站社工")
    factories.make_volunteer(world.station_a, name="志愿者甲")
    response = client.get("/station/staff")
    assert response.status_code == 200
    page = text(response)
    assert "李社工" in page and "王站长" in page and "钱停用" in page
    assert "外站社工" not in page and "志愿者甲" not in page
    assert "139 1234 5678" in page  # the admin's own station: the full number
    assert "持证社工：在岗2人中有2人持证（目标：至少2人）。" in page
    assert "已达标" in page and "未达标" not in page
    row = page[page.index('id="worker-') :]
    assert "助理社会工作师" in page and "培训：8.5学时" in page
    assert "已暂停" in row and "恢复" in row
    assert f'action="/station/staff/{admin.id}/suspend"' not in page  # not on oneself
    assert 'href="/station/staff" aria-current="page"' in page  # linked from the subnav


def test_a_station_under_target_is_flagged_in_words(client, world, login_as):
    login_as("station_admin", station=world.station_b)
    page = text(client.get("/station/staff"))
    assert "持证社工：在岗1人中有0人持证（目标：至少2人）。" in page
    assert "未达标" in page


def test_a_social_worker_is_refused_every_page_and_action(client, world, login_as):
    login_as("social_worker")
    target = _worker(world.station_a)
    assert client.get("/station/staff").status_code == 403
    assert 'href="/station/staff"' not in text(client.get("/station/"))
    assert _add(client, _new(world.station_a)).status_code == 403
    for action in (*ACTIONS, "certificate"):
        response = post(client, f"/station/staff/{target.id}/{action}")
        assert response.status_code == 403
    assert db.session.get(User, target.id).active is True
    assert outbox("staff_welcome") == [] and outbox("staff_password_reset") == []


def test_a_volunteer_and_the_supervisor_are_refused(client, world, login_as):
    target = _worker(world.station_a)
    login_as("volunteer")
    assert client.get("/station/staff").status_code == 403
    assert post(client, f"/station/staff/{target.id}/suspend", page="/v/tasks").status_code == 403
    login_as("county_supervisor")
    assert client.get("/station/staff").status_code == 403
    assert post(client, f"/station/staff/{target.id}/reset").status_code == 403
    assert db.session.get(User, target.id).active is True


def test_a_stranger_is_sent_to_sign_in(client, world):
    target = _worker(world.station_a)
    response = client.get("/station/staff")
    assert (response.status_code, response.headers["Location"]) == (
        302,
        "/login?next=%2Fstation%2Fstaff",
    )
    token_page = text(client.get("/login"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page).group(1)
    response = client.post(f"/station/staff/{target.id}/suspend", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert db.session.get(User, target.id).active is True


@pytest.mark.parametrize("action", [*ACTIONS, "certificate"])
@pytest.mark.parametrize("where", ["station_b", "county_centre"])
def test_an_admin_of_another_station_gets_404_on_every_action(
    client, world, login_as, action, where
):
    """Station B's admin, and the county centre's (who reads the county but acts only
    for stations without staff of their own)."""
    target = _worker(world.station_a, name="东风社工", certificate_level="senior")
    login_as("station_admin", station=getattr(world, where))
    assert "东风社工" not in text(client.get("/station/staff"))
    data = {f"cert{target.id}-certificate_level": "", f"cert{target.id}-training_hours": "1"}
    response = post(client, f"/station/staff/{target.id}/{action}", data)
    assert response.status_code == 404
    stored = db.session.get(User, target.id)
    assert (stored.active, stored.certificate_level, stored.session_version) == (True, "senior", 0)
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0


def test_an_unknown_action_or_worker_is_404(client, world, login_as):
    login_as("station_admin")
    target = _worker(world.station_a)
    assert post(client, f"/station/staff/{target.id}/promote").status_code == 404
    assert post(client, "/station/staff/999999/suspend").status_code == 404


# --- adding a worker -------------------------------------------------------------------------


def test_the_admin_adds_a_worker_who_is_texted_the_link(client, world, login_as):
    admin = login_as("station_admin")
    response = _add(client, _new(world.room_a1, role="station_admin"))
    worker = db.session.scalar(select(User).where(User.phone == NEW_PHONE))
    assert (response.status_code, response.headers["Location"]) == (
        302,
        f"/station/staff#worker-{worker.id}",
    )
    assert (worker.name, worker.station_id, worker.roles) == (
        "陈思远",
        world.room_a1.id,
        {"station_admin"},
    )
    assert (worker.certificate_level, worker.training_hours) == ("assistant", Decimal("12.5"))
    [sms] = outbox("staff_welcome")
    assert sms.to_phone == NEW_PHONE and sms.body.endswith("/reset")
    page = text(client.get("/station/staff"))
    assert "已为陈思远开通账号，并已短信发送设置密码的链接。" in page
    [line] = db.session.scalars(select(AuditLog).where(AuditLog.action == "staff_add")).all()
    assert (line.actor_id, line.object_id) == (admin.id, worker.id)
    log_page = text(client.get("/station/audit"))
    assert "添加了工作人员" in log_page and "陈思远" in log_page


def test_a_used_phone_is_refused_and_the_form_keeps_what_was_typed(client, world, login_as):
    login_as("station_admin")
    factories.make_volunteer(world.station_b, phone=NEW_PHONE)
    before = _users()
    response = _add(client, _new(world.station_a, phone="13912340001", training_hours="7.5"))
    assert response.status_code == 422
    page = text(response)
    assert _errors(page) == ["这个手机号已经有账号了。每位工作人员需要用自己的手机号。"]
    assert 'value="陈思远"' in page and 'value="13912340001"' in page and 'value="7.5"' in page
    assert '<option selected value="assistant">' in page
    assert _users() == before and outbox("staff_welcome") == []


def test_the_supervisor_role_cannot_be_given(client, world, login_as):
    login_as("station_admin")
    before = _users()
    response = _add(client, _new(world.station_a, role="county_supervisor"))
    assert response.status_code == 422
    assert _errors(text(response)) == ["请选择社工或站长。"]
    assert _users() == before


def test_a_worker_cannot_be_put_in_another_station(client, world, login_as):
    login_as("station_admin")
    before = _users()
    for station_id in (str(world.station_b.id), str(world.county_centre.id), "", "abc"):
        response = _add(client, _new(world.station_a, station_id=station_id))
        assert response.status_code == 422
        assert _errors(text(response)) == ["请选择您所管理的社工站。"]
    assert _users() == before
    page = text(client.get("/station/staff"))
    options = re.findall(r'<option[^>]*value="(\d+)"', page[page.index('name="station_id"') :])
    assert options[:2] == [str(world.station_a.id), str(world.room_a1.id)]
    assert str(world.station_b.id) not in options[:2]


def test_bad_hours_are_shown_next_to_the_field(client, world, login_as):
    login_as("station_admin")
    response = _add(client, _new(world.station_a, training_hours="2000.5"))
    assert response.status_code == 422
    assert _errors(text(response)) == ["培训学时：请填0到2000之间的数，最多一位小数（例如12.5）。"]


# --- suspend, reactivate, reset, certificate ---------------------------------------------------


def test_suspending_ends_the_workers_sessions_at_once(app, client, world, login_as):
    login_as("station_admin")
    worker = _worker(world.station_a, name="李社工")
    for status in ("assigned", "in_progress", "done", "closed"):
        factories.make_request(world.station_a, status=status, assigned_worker_id=worker.id)
    db.session.commit()
    device = _signed_in(app, worker)
    assert device.get("/station/").status_code == 200
    response = post(client, f"/station/staff/{worker.id}/suspend")
    assert (response.status_code, response.headers["Location"]) == (
        302,
        f"/station/staff#worker-{worker.id}",
    )
    assert device.get("/station/").status_code == 302  # signed out
    stored = db.session.get(User, worker.id)
    assert (stored.active, stored.session_version) == (False, 1)
    assert "已暂停：李社工不能再登录。 还有2条未办结的求助在其名下，请转派给其他人。" in text(
        client.get("/station/staff")
    )
    assert post(client, f"/station/staff/{worker.id}/reactivate").status_code == 302
    assert db.session.get(User, worker.id).active is True


def test_the_admin_cannot_suspend_themselves_or_the_last_admin(client, world, login_as):
    admin = login_as("station_admin")
    refused = post(client, f"/station/staff/{admin.id}/suspend")
    assert refused.status_code == 422 and "不能暂停您自己的账号。" in text(refused)
    room_admin = factories.make_user(roles=("station_admin",), station=world.room_a1)
    refused = post(client, f"/station/staff/{room_admin.id}/suspend")
    assert refused.status_code == 422
    assert "这是本站最后一位在岗站长，请先添加或恢复另一位站长。" in text(refused)
    assert db.session.get(User, room_admin.id).active is True
    assert db.session.get(User, admin.id).active is True


def test_reset_texts_the_link_and_ends_sessions(app, client, world, login_as):
    login_as("station_admin")
    worker = _worker(world.station_a, name="李社工")
    db.session.commit()
    device = _signed_in(app, worker)
    response = post(client, f"/station/staff/{worker.id}/reset")
    assert response.status_code == 302
    assert device.get("/station/").status_code == 302
    stored = db.session.get(User, worker.id)
    assert stored.check_password(factories.PASSWORD) is False and stored.session_version == 1
    [sms] = outbox("staff_password_reset")
    assert sms.to_phone == worker.phone and "/reset" in sms.body
    assert "已短信发送设置新密码的链接给李社工。" in text(client.get("/station/staff"))


def test_certificate_and_hours_saved_or_refused_next_to_the_field(client, world, login_as):
    login_as("station_admin")
    worker = _worker(world.station_a)
    prefix = f"cert{worker.id}-"
    bad = post(
        client,
        f"/station/staff/{worker.id}/certificate",
        {prefix + "certificate_level": "senior", prefix + "training_hours": "1.25"},
    )
    assert bad.status_code == 422
    page = text(bad)
    assert _errors(page) == ["培训学时：请填0到2000之间的数，最多一位小数（例如12.5）。"]
    assert f'id="{prefix}training_hours"' in page and 'value="1.25"' in page
    assert db.session.get(User, worker.id).certificate_level == ""
    ok = post(
        client,
        f"/station/staff/{worker.id}/certificate",
        {prefix + "certificate_level": "senior", prefix + "training_hours": "40.5"},
    )
    assert ok.status_code == 302
    stored = db.session.get(User, worker.id)
    assert (stored.certificate_level, stored.training_hours) == ("senior", Decimal("40.5"))
    log_page = text(client.get("/station/audit"))
    assert "记录了职业资格或培训学时" in log_page


# --- the county ---------------------------------------------------------------------------


def test_the_county_sees_certified_over_staff_and_the_flag(client, world, login_as):
    _worker(world.station_a, certificate_level="assistant")
    _worker(world.station_a, certificate_level="senior")
    _worker(world.station_b, certificate_level="senior")
    _worker(world.station_b)
    login_as("county_supervisor")
    page = text(client.get("/station/county"))
    assert "持证社工 / 在岗人数" in page
    row_a = page[page.index("<td>东风街道社工站</td>") :].split("</tr>")[0]
    row_b = page[page.index("<td>柳林镇社工站</td>") :].split("</tr>")[0]
    row_room = page[page.index("<td>杏花社区社工室</td>") :].split("</tr>")[0]
    assert "2 / 2" in row_a and "不足2名" not in row_a
    assert "1 / 2" in row_b and "不足2名" in row_b
    assert "0 / 0" in row_room and "不足2名" not in row_room
