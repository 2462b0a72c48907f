"""A station admin's staff: add, suspend, reactivate, reset a password, certificates and
training hours (app/services/staffing.py), without HTTP."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, OutboxMessage, User
from app.services import ServiceError, auth, county, links, staffing, stats
from app.services.notifications.limits import segment_count
from app.services.notifications.templates import render
from tests import factories
from tests.console_support import outbox

NEW_PHONE = "+8613912340001"


def _admin(station, **kwargs):
    return factories.make_user(roles=("station_admin",), station=station, **kwargs)


def _worker(station, **kwargs):
    return factories.make_user(roles=("social_worker",), station=station, **kwargs)


def _add(actor, station, **overrides):
    fields = {
        "name": "陈思远",
        "phone": "139 1234 0001",
        "role": "social_worker",
        "station_id": station.id,
        "certificate_level": "assistant",
        "training_hours": "12.5",
    }
    fields.update(overrides)
    return staffing.add_worker(actor, **fields)


def _log(action: str) -> list[AuditLog]:
    return db.session.scalars(
        select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    ).all()


def _refusal(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as refused:
        call(*args, **kwargs)
    return refused.value


# --- adding a worker -------------------------------------------------------------------------


def test_a_new_worker_is_texted_a_link_and_sets_their_own_password(world):
    admin = _admin(world.station_a)
    worker = _add(admin, world.station_a)

    assert (worker.name, worker.phone, worker.station_id) == (
        "陈思远",
        NEW_PHONE,
        world.station_a.id,
    )
    assert worker.roles == {"social_worker"}
    assert (worker.certificate_level, worker.training_hours) == ("assistant", Decimal("12.5"))
    assert worker.active is True
    # Nobody knows the first password: signing in with anything fails.
    assert auth.sign_in(NEW_PHONE, factories.PASSWORD).user is None
    [sms] = outbox("staff_welcome")
    assert (sms.to_phone, sms.user_id, sms.status) == (NEW_PHONE, worker.id, "pending")
    assert sms.body == render("staff_welcome", "zh", link=links.reset_link())
    assert not re.search(r"\d{6}", sms.body)  # no code, no password in it
    [line] = _log("staff_add")
    assert (line.actor_id, line.object_type, line.object_id) == (admin.id, "user", worker.id)
    assert line.station_id == world.station_a.id
    assert line.detail == {
        "worker": "陈思远",
        "role": "social_worker",
        "certificate_level": "assistant",
        "training_hours": "12.5",
    }

    # The worker follows the link: the ordinary reset by SMS code sets their password.
    ticket = auth.start_reset("13912340001")
    [code_sms] = outbox("password_reset_code")
    code = re.search(r"\d{6}", code_sms.body).group(0)
    auth.reset_password(ticket, code, "my-own-secret-1")
    assert auth.sign_in(NEW_PHONE, "my-own-secret-1").user == worker


def test_a_room_of_the_admins_station_may_get_a_worker_another_station_may_not(world):
    admin = _admin(world.station_a)
    in_room = _add(admin, world.room_a1, role="station_admin")
    assert (in_room.station_id, in_room.roles) == (world.room_a1.id, {"station_admin"})
    refused = _refusal(_add, admin, world.station_b, phone="139 1234 0002")
    assert (refused.field, refused.message) == ("station_id", "请选择您所管理的社工站。")
    refused = _refusal(_add, admin, world.station_a, phone="139 1234 0003", station_id=None)
    assert refused.field == "station_id"
    assert db.session.scalar(select(User).where(User.phone == "+8613912340002")) is None


@pytest.mark.parametrize("role", ["county_supervisor", "volunteer", "team_leader", ""])
def test_only_social_worker_or_station_admin_may_be_given(world, role):
    admin = _admin(world.station_a)
    refused = _refusal(_add, admin, world.station_a, role=role)
    assert (refused.field, refused.message) == ("role", "请选择社工或站长。")
    assert outbox("staff_welcome") == []


def test_a_phone_already_used_is_refused_in_any_spelling(world):
    admin = _admin(world.station_a)
    factories.make_volunteer(world.station_b, phone=NEW_PHONE)
    for spelling in ("13912340001", "+86 139 1234 0001", "139-1234-0001"):
        refused = _refusal(_add, admin, world.station_a, phone=spelling)
        assert refused.field == "phone"
        assert refused.message == ("这个手机号已经有账号了。每位工作人员需要用自己的手机号。")
    assert _refusal(_add, admin, world.station_a, phone="12345").field == "phone"
    assert outbox("staff_welcome") == [] and _log("staff_add") == []


def test_name_certificate_and_hours_are_checked(world):
    admin = _admin(world.station_a)
    assert _refusal(_add, admin, world.station_a, name="  ").field == "name"
    assert _refusal(_add, admin, world.station_a, certificate_level="expert").field == (
        "certificate_level"
    )
    assert _refusal(_add, admin, world.station_a, training_hours="-1").field == "training_hours"


def test_only_a_station_admin_may_manage_staff(world):
    worker = _worker(world.station_a)
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    for actor in (worker, supervisor):
        refused = _refusal(_add, actor, world.station_a)
        assert refused.message == "只有站长可以管理工作人员。"
        assert staffing.visible_worker(actor, worker.id) is None
        assert staffing.stations(actor) == []
    target = _worker(world.station_a)
    assert _refusal(staffing.suspend, worker, target).message == ("只有站长可以管理工作人员。")
    assert db.session.get(User, target.id).active is True


# --- who an admin may manage ---------------------------------------------------------------


def test_an_admin_manages_only_staff_of_their_acting_stations(world):
    admin = _admin(world.station_a)
    own = _worker(world.station_a)
    in_room = _worker(world.room_a1)
    elsewhere = _worker(world.station_b)
    volunteer = factories.make_volunteer(world.station_a)
    supervisor = factories.make_user(
        roles=("county_supervisor", "social_worker"), station=world.station_a
    )
    assert staffing.visible_worker(admin, own.id) == own
    assert staffing.visible_worker(admin, in_room.id) == in_room
    assert staffing.visible_worker(admin, admin.id) == admin
    for hidden in (elsewhere, volunteer, supervisor):
        assert staffing.visible_worker(admin, hidden.id) is None
    assert staffing.visible_worker(admin, 999_999) is None
    other_admin = _admin(world.station_b)
    assert staffing.visible_worker(other_admin, own.id) is None
    assert staffing.visible_worker(other_admin, elsewhere.id) == elsewhere


def test_the_page_lists_staff_by_station_with_the_certified_count_of_stats(world):
    admin = _admin(world.station_a, name="王站长", certificate_level="social_worker")
    _worker(world.station_a, name="李社工", certificate_level="assistant")
    _worker(world.station_a, name="赵社工")
    _worker(world.station_a, name="钱停用", certificate_level="senior", active=False)
    _worker(world.room_a1, name="孙室员")
    _worker(world.station_b, name="外站社工", certificate_level="senior")
    factories.make_volunteer(world.station_a, name="志愿者甲")

    groups = staffing.staff_groups(admin)

    assert [g.station.id for g in groups] == [world.station_a.id, world.room_a1.id]
    own, room = groups
    assert [w.name for w in own.workers] == ["李社工", "王站长", "赵社工", "钱停用"]
    assert (own.certified, own.staff, own.below_target) == (2, 3, False)
    assert ([w.name for w in room.workers], room.certified, room.staff) == (["孙室员"], 0, 1)
    assert room.below_target is False  # a village room is not held to the target
    counts = stats.certified_by_station([world.station_a.id, world.room_a1.id])
    assert counts == {world.station_a.id: (2, 3), world.room_a1.id: (0, 1)}
    assert [s.id for s in staffing.stations(admin)] == [world.station_a.id, world.room_a1.id]


def test_an_admins_own_station_shows_even_without_other_staff(world):
    admin = _admin(world.station_b)
    [group] = staffing.staff_groups(admin)
    assert (group.station.id, group.workers, group.certified, group.staff) == (
        world.station_b.id,
        [admin],
        0,
        1,
    )
    assert group.below_target is True


# --- suspend, reactivate, reset ---------------------------------------------------------------


def test_suspend_ends_sessions_and_reactivate_restores(world):
    admin = _admin(world.station_a)
    worker = _worker(world.station_a)
    worker.session_version = 3
    staffing.suspend(admin, worker)
    assert (worker.active, worker.session_version) == (False, 4)
    assert auth.sign_in(worker.phone, factories.PASSWORD).user is None
    assert _refusal(staffing.suspend, admin, worker).message == "该工作人员已经是暂停状态。"
    assert _refusal(staffing.reset_password, admin, worker).message == (
        "请先恢复该工作人员的账号，再重设密码。"
    )
    staffing.reactivate(admin, worker)
    assert (worker.active, worker.session_version) == (True, 5)
    assert auth.sign_in(worker.phone, factories.PASSWORD).user == worker
    assert _refusal(staffing.reactivate, admin, worker).message == "该工作人员已经在岗。"
    assert [(e.action, e.object_id, e.actor_id) for e in _log("staff_suspend")] == [
        ("staff_suspend", worker.id, admin.id)
    ]
    assert [(e.object_id, e.actor_id) for e in _log("staff_reactivate")] == [(worker.id, admin.id)]


def test_an_admin_cannot_suspend_themselves_nor_the_last_admin(world):
    admin = _admin(world.station_a)
    assert _refusal(staffing.suspend, admin, admin).message == "不能暂停您自己的账号。"
    room_admin = _admin(world.room_a1)
    refused = _refusal(staffing.suspend, admin, room_admin)
    assert refused.message == ("这是本站最后一位在岗站长，请先添加或恢复另一位站长。")
    second = _admin(world.room_a1)
    staffing.suspend(admin, room_admin)
    assert room_admin.active is False
    # ``second`` is now the room's last active admin.
    assert "最后一位在岗站长" in _refusal(staffing.suspend, admin, second).message
    assert second.active is True
    assert [e.object_id for e in _log("staff_suspend")] == [room_admin.id]


def test_reset_password_voids_the_old_one_and_texts_the_link(world):
    admin = _admin(world.station_a)
    worker = _worker(world.station_a, phone="+8613912340009")
    worker.session_version = 1
    old_hash = worker.password_hash
    staffing.reset_password(admin, worker)
    assert worker.password_hash != old_hash and worker.session_version == 2
    assert auth.sign_in(worker.phone, factories.PASSWORD).user is None
    [sms] = outbox("staff_password_reset")
    assert (sms.to_phone, sms.user_id) == ("+8613912340009", worker.id)
    assert sms.body == render("staff_password_reset", "zh", link=links.reset_link())
    [line] = _log("staff_reset_password")
    assert (line.actor_id, line.object_id, line.station_id) == (
        admin.id,
        worker.id,
        world.station_a.id,
    )
    refused = _refusal(staffing.reset_password, admin, admin)
    assert refused.message == "要修改您自己的密码，请退出后使用“忘记密码”。"


# --- certificates and training hours ------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0", "0.0"),
        ("", "0.0"),
        ("2000", "2000.0"),
        ("12.5", "12.5"),
        (" 7 ", "7.0"),
        ("3.50", "3.5"),
    ],
)
def test_training_hours_accepted(typed, stored):
    assert staffing.parse_hours(typed) == Decimal(stored)


@pytest.mark.parametrize("typed", ["-0.1", "2000.1", "1.25", "abc", "NaN", "Infinity", "1e9"])
def test_training_hours_refused(app, typed):
    refused = _refusal(staffing.parse_hours, typed)
    assert refused.field == "training_hours"
    assert refused.message == ("培训学时：请填0到2000之间的数，最多一位小数（例如12.5）。")


def test_record_certificate_changes_the_count_and_is_logged(world):
    admin = _admin(world.station_a)
    worker = _worker(world.station_a, training_hours=Decimal("4.0"))
    assert stats.certified_by_station([world.station_a.id]) == {world.station_a.id: (0, 2)}
    staffing.record_certificate(admin, worker, certificate_level="senior", training_hours="40.5")
    assert (worker.certificate_level, worker.training_hours) == ("senior", Decimal("40.5"))
    assert stats.certified_by_station([world.station_a.id]) == {world.station_a.id: (1, 2)}
    [line] = _log("staff_certificate")
    assert (line.actor_id, line.object_id) == (admin.id, worker.id)
    assert line.detail == {
        "worker": worker.name,
        "certificate_level": "->senior",
        "training_hours": "4.0->40.5",
    }
    refused = _refusal(
        staffing.record_certificate, admin, worker, certificate_level="phd", training_hours="1"
    )
    assert refused.field == "certificate_level"


# --- the county's column, and the texts ---------------------------------------------------


def test_county_rows_carry_certified_over_staff_and_flag_stations_under_two(world):
    _worker(world.station_a, certificate_level="assistant")
    _worker(world.station_a, certificate_level="social_worker")
    _worker(world.station_b, certificate_level="senior")
    _worker(world.station_b)
    _worker(world.station_b, certificate_level="senior", active=False)
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    rows = {row["station"].id: row for row in county.station_rows(supervisor)}
    picked = {
        sid: (rows[sid]["certified"], rows[sid]["staff"], rows[sid]["below_target"])
        for sid in (
            world.county_centre.id,
            world.station_a.id,
            world.room_a1.id,
            world.station_b.id,
        )
    }
    assert picked == {
        world.county_centre.id: (0, 0, True),
        world.station_a.id: (2, 2, False),
        world.room_a1.id: (0, 0, False),
        world.station_b.id: (1, 2, True),
    }


@pytest.mark.parametrize("template", [staffing.WELCOME_TEMPLATE, staffing.RESET_TEMPLATE])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_texts_fit_in_one_segment(app, template, language):
    text = render(template, language, link="https://linli.qingyuan.gov.cn/reset")
    assert segment_count(text) == 1, text
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_a_worker_without_a_phone_is_not_told_they_were_texted(world):
    admin = _admin(world.station_a)
    worker = _worker(world.station_a)
    worker.phone = None
    old_hash = worker.password_hash
    refused = _refusal(staffing.reset_password, admin, worker)
    assert refused.message == "该工作人员没有登记手机号，无法发送链接。"
    assert worker.password_hash == old_hash and outbox("staff_password_reset") == []
