"""Issue 13, item 11 on the console: a tracking code (with the phone's last four digits,
the key to the resident's own page) is shown only to staff who work on the request: its
station's workers, and the county for an escalated request. Everyone else who may read
it (the county supervisor, the centre's workers) sees the request's number instead, in
the queue, on the request page and in the texts listed there."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import OutboxMessage, RequestEvent
from app.models.base import utcnow
from app.services.codes import code_text
from tests import factories
from tests.console_support import request_at, text
from tests.factories import shows_code


def _sign_in_as(client, user):
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


def _with_a_text(r):
    db.session.add(
        OutboxMessage(
            to_phone=r.contact_phone,
            body=f"【邻里】您的求助已收到，编号{r.code}。查看进度：http://127.0.0.1:5000/t/{r.code}",
            template="request_received",
            request_id=r.id,
            status="sent",
            created_at=utcnow(),
            next_attempt_at=utcnow(),
        )
    )
    return r


@pytest.fixture
def township_request(world):
    # Station A has a worker of its own, so the centre does not stand in for it.
    factories.make_user(roles=("social_worker",), station=world.station_a, name="东风社工")
    return _with_a_text(request_at(world.station_a, contact_phone="+8613800138077"))


@pytest.mark.parametrize("reader", ["county_supervisor", "centre_worker"])
def test_readers_who_do_not_work_on_it_see_its_number_not_its_code(
    client, world, township_request, reader
):
    r = township_request
    other = request_at(world.station_a)
    db.session.add(
        RequestEvent(request_id=r.id, action="note", note=f"与{other.code}是同一件事", public=False)
    )
    if reader == "county_supervisor":
        user = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    else:
        user = factories.make_user(roles=("social_worker",), station=world.county_centre)
    _sign_in_as(client, user)
    page = text(client.get(f"/station/r/{r.id}"))
    assert f"#{r.id}" in page and "您的求助已收到" in page
    assert not shows_code(page, r.code) and r.code.lower() not in page
    assert not shows_code(page, other.code) and "与*******是同一件事" in page
    if reader == "centre_worker":
        queue = text(client.get("/station/?tab=all"))
        assert f"#{r.id}" in queue and not shows_code(queue, r.code)


def test_the_serving_worker_sees_the_code(client, world, township_request, login_as):
    login_as("social_worker", station=world.station_a)
    r = township_request
    page = text(client.get(f"/station/r/{r.id}"))
    assert f'<h1>代购 <span class="code">{code_text(r.code)}</span></h1>' in page  # the heading
    assert f"【邻里】您的求助已收到，编号{r.code}。" in page  # the text to the resident
    assert code_text(r.code) in text(client.get("/station/?tab=all"))


def test_the_county_sees_the_code_of_a_request_escalated_to_it(client, world, township_request):
    r = township_request
    r.escalated, r.escalated_at = True, utcnow()
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    _sign_in_as(client, supervisor)
    assert code_text(r.code) in text(client.get("/station/county"))
    page = text(client.get(f"/station/r/{r.id}"))
    assert code_text(r.code) in page
    assert f"编号{r.code}" in page  # the texts on the page follow the heading's rule


def test_readers_get_no_exact_place_nor_a_childs_or_sensitive_free_text(client, world):
    """Second outside test: the county read a child's request in full (description,
    street address, coordinates) on the request page while the queue hid it."""
    factories.make_user(roles=("social_worker",), station=world.station_a)
    child = request_at(
        world.station_a,
        description="孩子父母在外打工，想找人辅导作业",
        address="后王村二组17号",
        special_groups=["left_behind_child"],
        wanted_note="放学后四点以后",
    )
    adult = request_at(
        world.station_a, description="想请人帮忙买米和油", address="文昌社区10号楼2单元"
    )
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    _sign_in_as(client, supervisor)
    page = text(client.get(f"/station/r/{child.id}"))
    assert "孩子父母在外打工" not in page and "放学后四点以后" not in page
    assert "后王村二组17号" not in page and "坐标" not in page
    assert "只给负责这个求助的社工看" in page
    page = text(client.get(f"/station/r/{adult.id}"))
    assert "想请人帮忙买米和油" in page  # supervision reads what an adult asked for
    assert "文昌社区10号楼2单元" not in page and "坐标" not in page


def test_the_serving_worker_reads_everything(client, world, login_as):
    login_as("social_worker", station=world.station_a)
    child = request_at(
        world.station_a,
        description="孩子父母在外打工，想找人辅导作业",
        address="后王村二组17号",
        special_groups=["left_behind_child"],
        lat=34.765,
        lon=113.605,
    )
    page = text(client.get(f"/station/r/{child.id}"))
    assert "孩子父母在外打工" in page and "后王村二组17号" in page and "坐标" in page
