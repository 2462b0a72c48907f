"""The staff page 'SMS sent': delivery status, error codes and failures, for one's stations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import InboundMessage
from app.models.base import utcnow
from app.services.codes import code_text
from app.services.intake import received_values
from app.services.links import tracking_link
from app.services.notifications import queue_sms, queue_to_resident
from tests import factories
from tests.factories import shows_code
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
    assert "139********" in page and "0001" not in page
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


def test_newest_first_means_by_date_not_by_row_number(client, login_as, world):
    """Rows written late about older events (demo data, back-filled texts) still sort by
    the time shown beside them, as the page's 'newest first' promises."""
    login_as("social_worker")
    request = factories.make_request(world.station_a)
    now = utcnow()
    add_message(
        request.contact_phone,
        "【邻里】一小时前",
        request_id=request.id,
        created_at=now - timedelta(hours=1),
    )
    add_message(
        request.contact_phone,
        "【邻里】三小时前",
        request_id=request.id,
        created_at=now - timedelta(hours=3),
    )
    add_message(
        request.contact_phone,
        "【邻里】两小时前",
        request_id=request.id,
        created_at=now - timedelta(hours=2),
    )
    db.session.add_all(
        [
            InboundMessage(
                from_phone=request.contact_phone,
                body="早上的短信",
                request_id=request.id,
                received_at=now - timedelta(hours=5),
            ),
            InboundMessage(
                from_phone=request.contact_phone,
                body="中午的短信",
                request_id=request.id,
                received_at=now - timedelta(hours=4),
            ),
        ]
    )
    db.session.commit()
    page = client.get("/sms/sent").get_data(as_text=True)
    assert page.index("一小时前") < page.index("两小时前") < page.index("三小时前")
    assert page.index("中午的短信") < page.index("早上的短信")


# --- staff must not be able to act as the resident (issue 13, item 11) --------------------


def _confirmation_for(request):
    """The real confirmation SMS of a request: it carries the tracking code (as read out,
    "3806 1472"), the station's phone, and no link since issue 16."""
    message = queue_to_resident(request, "request_received", **received_values(request))
    db.session.commit()
    return message


def _pair_shown(page: str, request) -> list[str]:
    """What a person could type on the resident's page: the code, or the phone's last four."""
    found = []
    if shows_code(page, request.code) or request.code.lower() in page.lower():
        found.append("code")
    if request.contact_phone[-4:] in page:
        found.append("last four")
    return found


@pytest.mark.parametrize("who", ["other_station_worker", "county_supervisor"])
def test_staff_not_serving_the_request_see_neither_code_nor_last_four(client, login_as, world, who):
    request = factories.make_request(world.station_a, contact_phone="+8613912340987")
    message = _confirmation_for(request)
    assert code_text(request.code) in message.body  # the resident's own SMS carries the code
    db.session.add(
        InboundMessage(
            from_phone=request.contact_phone,
            body=f"我的编号是{request.code.lower()}，谢谢",
            request_id=request.id,
            reply=f"【邻里】已把您的短信补充到求助{code_text(request.code)}：{tracking_link(request.code)}",
        )
    )
    db.session.commit()
    if who == "county_supervisor":
        login_as("county_supervisor")
    else:
        # A worker of another township whose volunteer got a text about the request:
        # the message shows on their page through their station's user.
        login_as("social_worker", station=world.station_b)
        helper = factories.make_user(roles=("volunteer",), station=world.station_b)
        queue_sms(
            helper.phone,
            "service_reminder",
            request_id=request.id,
            user_id=helper.id,
            code=request.code,
            category="代购",
            village="杏花社区",
            time="9:00",
            link="http://localhost/v/tasks",
        )
        # A text that names the request without being filed under it.
        add_message(helper.phone, f"【邻里】求助{request.code}已转给您的队伍", user_id=helper.id)
        add_message(helper.phone, f"求助 {code_text(request.code)} 已转给您", user_id=helper.id)
        db.session.commit()
    for url in ("/sms/sent", "/sms/sent?show=waiting", "/sms/sent?show=problems"):
        page = client.get(url).get_data(as_text=True)
        assert _pair_shown(page, request) == [], url
    fragment = client.get("/sms/sent", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert _pair_shown(fragment, request) == []
    page = client.get("/sms/sent").get_data(as_text=True)
    shown = "求助已收到" if who == "county_supervisor" else "您有服务任务"
    assert shown in page and "139*" in page  # the message is there, masked


def test_the_serving_station_sees_the_code_but_never_beside_the_last_four(client, login_as, world):
    request = factories.make_request(world.station_a, contact_phone="+8613912340987")
    _confirmation_for(request)
    login_as("social_worker")
    page = client.get("/sms/sent").get_data(as_text=True)
    assert code_text(request.code) in page
    assert "0987" not in page and "13912340987" not in page


def test_no_staff_page_puts_the_code_beside_the_last_four(client, login_as, world):
    """The county supervisor's read-only request page and list: code yes, last four no."""
    request = factories.make_request(
        world.station_a, status="accepted", contact_phone="+8613912340987"
    )
    db.session.commit()
    login_as("county_supervisor")
    for url in (f"/station/r/{request.id}", "/station/county"):
        page = client.get(url).get_data(as_text=True)
        assert "0987" not in page, url
