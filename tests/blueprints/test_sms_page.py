"""The staff page 'SMS sent': delivery status, error codes and failures, for one's stations."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import InboundMessage
from app.models.base import utcnow
from tests import factories
from tests.sms_support import add_message


def test_staff_see_delivery_status_errors_and_holds(client, login_as, world):
    login_as("social_worker")
    request = factories.make_request(world.station_a, contact_phone="+8613912340001")
    add_message(
        "+8613912340001",
        "【邻里】送达了",
        request_id=request.id,
        status="delivered",
        delivered_at=utcnow(),
    )
    add_message(
        "+8613912340001",
        "【邻里】号码无效",
        request_id=request.id,
        status="failed",
        error_code="21211",
        last_error="invalid phone number (Twilio 21211)",
    )
    add_message(
        "+8613912340001",
        "【邻里】晚上的任务",
        request_id=request.id,
        hold_reason="quiet_hours",
        next_attempt_at=utcnow() + timedelta(hours=8),
    )
    add_message(
        "+8613912340001",
        "【邻里】重试中",
        request_id=request.id,
        attempts=2,
        last_error="Twilio is busy or down: HTTP 503",
        error_code="20503",
        next_attempt_at=utcnow() + timedelta(minutes=2),
    )
    db.session.add(
        InboundMessage(from_phone="+8613912340001", body="TD", command="stop", reply="已退订")
    )
    db.session.add(
        InboundMessage(
            from_phone="+8613912340001", body="谢谢", command="text", request_id=request.id
        )
    )
    db.session.commit()
    page = client.get("/sms/sent").get_data(as_text=True)
    assert "已送达" in page and "发送失败" in page
    assert "号码无效：请核对号码" in page and "错误代码 21211" in page
    assert "夜间免打扰" in page
    assert "第2次发送没有成功" in page and "错误代码 20503" in page
    assert "139****0001" in page and "+8613912340001" not in page
    assert "谢谢" in page  # texts received about the station's requests
    problems = client.get("/sms/sent?show=problems").get_data(as_text=True)
    assert "号码无效" in problems and "送达了" not in problems
    waiting = client.get("/sms/sent?show=waiting").get_data(as_text=True)
    assert "晚上的任务" in waiting and "号码无效" not in waiting


def test_other_stations_messages_stay_hidden(client, login_as, world):
    login_as("social_worker", station=world.station_b)
    request = factories.make_request(world.station_a)
    add_message(request.contact_phone, "【邻里】东风街道的短信", request_id=request.id)
    page = client.get("/sms/sent").get_data(as_text=True)
    assert "东风街道的短信" not in page


def test_volunteers_cannot_open_the_page(client, login_as):
    login_as("volunteer")
    assert client.get("/sms/sent").status_code == 403
