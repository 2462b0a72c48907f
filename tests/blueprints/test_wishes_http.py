"""Micro-wishes over HTTP (issue 18): the public board and claim form, the console's pages,
who may see or do what, and the privacy test over every public output."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, ResourceEntry, Wish
from app.services import resources, wish_delivery, wishes, wording
from tests import factories
from tests.conftest import csrf_token_from
from tests.console_support import post, text
from tests.sms_support import inbound_params, post_signed, signed_fixture  # noqa: F401
from tests.wish_support import (
    DONOR_PHONE,
    make_child,
    make_wish,
    secrets_of,
    worker_of,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _board_form_token(client, code: str) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(text(client.get(f"/wishes/{code}")))


def _claim_on_the_web(client, code: str, **overrides):
    """The form, then the code texted to the phone: the answer to the code's form (or to
    the form, when it was refused)."""
    data = {"name": "张爱心", "phone": "13812345678", "kind": "company", **overrides}
    data["csrf_token"] = _board_form_token(client, code)
    asked = client.post(f"/wishes/{code}", data=data)
    if asked.status_code != 200:
        return asked
    return client.post(
        f"/wishes/{code}/code",
        data={"code": _code_sent_to(data["phone"]), "csrf_token": csrf_token_from(text(asked))},
    )


def _code_sent_to(phone: str) -> str:
    from app.services.phones import normalise_phone

    body = db.session.scalars(
        select(OutboxMessage.body)
        .where(
            OutboxMessage.to_phone == normalise_phone(phone),
            OutboxMessage.template == "wish_claim_code",
        )
        .order_by(OutboxMessage.id.desc())
    ).first()
    return re.search(r"[0-9]{6}", body).group(0)


def _month_row(client) -> dict[str, str]:
    today = wording.local_today()
    response = client.get(f"/station/stats?month={today:%Y-%m}&format=csv&table=stations")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    headings = next(row for row in rows if "Wishes fulfilled" in row or "已圆梦心愿" in row)
    total = rows[-1]
    return dict(zip(headings, total, strict=False))


def _figures(row: dict[str, str]) -> list[str]:
    names = ("已收集心愿", "已发布心愿", "已认领心愿", "已圆梦心愿", "链接资源（元）")
    return [row[name] for name in names]


def test_a_childs_wish_goes_public_without_naming_the_child(client, world, login_as, signed):
    """Done when (issue 18): file a wish for a child of the ledger, publish it; nothing on
    any public page or in any text to the donor names the child, gives an age or a place
    finer than the township; a donor claims it by SMS, delivery is recorded, and the
    report's figures change."""
    login_as("social_worker", station=world.station_a)
    child = make_child(world)
    db.session.commit()
    before = _figures(_month_row(client))

    page = text(client.get(f"/station/wishes/new?person={child.id}"))
    assert child.name in page  # the station's own page names its child
    response = post(
        client,
        "/station/wishes/new",
        {
            "person": str(child.id),
            "what": "一个新书包",
            "category": "study",
            "estimated_value": "120",
            "deadline": (wording.local_today().replace(day=1) + _days(40)).isoformat(),
        },
    )
    assert response.status_code == 302, text(response)
    wish = db.session.scalar(select(Wish))
    assert post(client, f"/station/wishes/{wish.id}/publish").status_code == 302

    client.post("/auth/logout")  # the public from here on
    with client.session_transaction() as session:
        session.clear()
    board = text(client.get("/wishes"))
    detail = text(client.get(f"/wishes/{wish.code}"))
    assert "一个新书包" in board and world.township_a.name in board and "小学生" in board
    sms = post_signed(
        client,
        "/sms/inbound",
        inbound_params(DONOR_PHONE, f"认领 {wish.code} 王女士", "SM" + "a" * 32),
    )
    assert sms.status_code == 200
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).status == "claimed"
    donor_texts = [text(sms)] + list(
        db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_phone == DONOR_PHONE))
    )
    claimed_page = text(client.get(f"/wishes/{wish.code}"))

    login_as("social_worker", station=world.station_a)
    assert post(client, f"/station/wishes/{wish.id}/confirm").status_code == 302
    token_page = text(client.get(f"/station/wishes/{wish.id}"))
    from tests.conftest import csrf_token_from

    delivered = client.post(
        f"/station/wishes/{wish.id}/deliver",
        data={
            "csrf_token": csrf_token_from(token_page),
            "delivered_on": wording.local_today().isoformat(),
            "thanks": "晓梅说谢谢",
            "photo": (io.BytesIO(PNG), "gift.png", "image/png"),
        },
        content_type="multipart/form-data",
    )
    assert delivered.status_code == 302, text(delivered)
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).status == "fulfilled"
    donor_texts += list(
        db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_phone == DONOR_PHONE))
    )
    assert len(donor_texts) >= 3  # the SMS reply, confirmed, fulfilled
    public_json = json.dumps(
        wishes.public_view(db.session.get(Wish, wish.id)).__dict__, default=str
    )

    outputs = [board, detail, claimed_page, *donor_texts, public_json]
    for secret in secrets_of(child):
        for output in outputs:
            assert secret not in output, f"{secret!r} in a public output: {output[:300]}"

    after = _figures(_month_row(client))
    assert [int(float(a)) - int(float(b)) for a, b in zip(after, before, strict=True)] == [
        1,
        1,
        1,
        1,
        120,
    ]


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)


def test_the_public_board_claims_on_the_web_and_refuses_a_second_donor(client, world):
    worker = worker_of(world.station_a)
    wish = make_wish(worker, make_child(world))
    db.session.commit()
    response = _claim_on_the_web(client, wish.code)
    assert response.status_code == 200 and "谢谢" in text(response)
    second = _claim_on_the_web(client, wish.code, phone="13900002222")
    assert second.status_code == 422 and "刚刚被别人认领" in text(second)
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).donor_phone == DONOR_PHONE
    assert wish.code not in text(client.get("/wishes"))  # off the board


def test_bad_claims_get_a_message_and_change_nothing(client, world):
    wish = make_wish(worker_of(world.station_a), make_child(world))
    db.session.commit()
    response = _claim_on_the_web(client, wish.code, phone="12345")
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).status == "published"


def test_drafts_and_withdrawn_wishes_are_not_public(client, world):
    worker = worker_of(world.station_a)
    draft = make_wish(worker, make_child(world), publish=False)
    db.session.commit()
    assert client.get(f"/wishes/{draft.code}").status_code == 404
    assert client.get("/wishes/abc").status_code == 404


@pytest.mark.parametrize("who", ["stranger", "volunteer", "other_station", "county"])
def test_nobody_else_sees_a_wish_its_photo_or_acts_on_it(client, world, login_as, who):
    worker = worker_of(world.station_a)
    child = make_child(world)
    wish = make_wish(worker, child)
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    wishes.confirm(worker, wish)
    wish_delivery.deliver(worker, wish, delivered_on=wording.local_today(), photo=PNG)
    db.session.commit()
    if who == "volunteer":
        login_as("volunteer", station=world.station_a)
    elif who == "other_station":
        login_as("social_worker", station=world.station_b)
    elif who == "county":
        login_as("county_supervisor")
    # A stranger is sent to log in; a role without wishes is refused; a worker of another
    # station is told there is no such wish.
    expected = {"stranger": 302, "volunteer": 403, "other_station": 404, "county": 403}[who]
    for url in (f"/station/wishes/{wish.id}", f"/station/wishes/{wish.id}/photo"):
        response = client.get(url)
        assert response.status_code == expected, (url, response.status_code)
        assert child.name not in text(response)
    listing = client.get("/station/wishes")
    assert listing.status_code == (200 if who == "other_station" else expected)
    assert child.name not in text(listing) and wish.code not in text(listing)


def test_the_stations_worker_sees_the_photo_and_the_list(client, world, login_as):
    worker = login_as("social_worker", station=world.station_a)
    wish = make_wish(worker, make_child(world))
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    wishes.confirm(worker, wish)
    wish_delivery.deliver(worker, wish, delivered_on=wording.local_today(), photo=PNG)
    db.session.commit()
    photo = client.get(f"/station/wishes/{wish.id}/photo")
    assert photo.status_code == 200 and photo.data == PNG
    assert photo.headers["Cache-Control"] == "private, no-store"
    assert "一个新书包" in text(client.get("/station/wishes"))
    assert "120" in text(client.get("/station/resources"))


def test_another_stations_worker_cannot_act_on_a_wish(client, world, login_as):
    wish = make_wish(worker_of(world.station_a), make_child(world))
    db.session.commit()
    login_as("social_worker", station=world.station_b)
    for action in ("withdraw", "confirm", "deliver"):
        assert post(client, f"/station/wishes/{wish.id}/{action}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).status == "published"


def test_the_resources_page_adds_a_donation_and_exports_it(client, world, login_as):
    login_as("social_worker", station=world.station_a)
    response = post(
        client,
        "/station/resources",
        {
            "source": "project",
            "kind": "money",
            "donor_name": "=HYPERLINK(1)",
            "value": "3000",
            "received_on": wording.local_today().isoformat(),
            "purpose": "助学项目",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(select(ResourceEntry.value)) == 3000
    exported = client.get("/station/resources.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in exported
    bad = post(client, "/station/resources", {"source": "project", "kind": "money"})
    assert bad.status_code == 422
    login_as("volunteer", station=world.station_a)
    assert client.get("/station/resources").status_code == 403


def test_a_volunteer_account_may_claim_a_wish_by_sms_too(client, world, signed):
    volunteer = factories.make_volunteer(world.station_a)
    wish = make_wish(worker_of(world.station_a), make_child(world))
    db.session.commit()
    reply = post_signed(
        client, "/sms/inbound", inbound_params(volunteer.phone, f"RL {wish.code}", "SM" + "c" * 32)
    )
    assert wish.code in text(reply)
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).status == "claimed"


def test_the_dashboard_shows_the_months_wishes_and_resources(client, world, login_as):
    worker = login_as("social_worker", station=world.station_a)
    wish = make_wish(worker, make_child(world))
    wishes.claim(wish, name="张", phone=DONOR_PHONE)
    wishes.confirm(worker, wish)
    wish_delivery.deliver(worker, wish, delivered_on=wording.local_today())
    db.session.commit()
    page = text(client.get("/station/stats?fresh=1"))
    assert 'id="fig-wishes-fulfilled">1<' in page
    assert 'id="fig-resources">120.00<' in page


def test_the_monthly_workbook_carries_the_wish_columns(client, world, login_as):
    from openpyxl import load_workbook

    worker = login_as("social_worker", station=world.station_a)
    resources.add(
        worker,
        station_id=world.station_a.id,
        source="donation",
        kind="money",
        donor_name="爱心企业",
        value="500",
        received_on=wording.local_today(),
    )
    db.session.commit()
    today = wording.local_today()
    response = client.get(f"/station/stats?month={today:%Y-%m}&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    headings = next(row for row in rows if "链接资源（元）" in row)
    column = headings.index("链接资源（元）")
    assert float(rows[-1][column]) == 500.0  # the totals row


def test_a_wish_past_its_date_leaves_the_board_and_the_station_is_told(client, world, login_as):
    from datetime import timedelta

    worker = login_as("social_worker", station=world.station_a)
    wish = make_wish(worker, make_child(world))
    wish.deadline = wording.local_today() - timedelta(days=1)
    db.session.commit()
    assert wish.code not in text(client.get("/wishes"))
    assert "认领这个心愿" not in text(client.get(f"/wishes/{wish.code}"))
    assert "已过期，请撤回" in text(client.get("/station/wishes"))
