"""The worker's main action first (issue 16, item 6): on a request page the moves its status
allows come before the request, the candidates and the timeline; candidates past the first
three are folded; a possible duplicate shows what it says, where and when, and merging
names which request is closed into which."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import HelpRequest
from app.services import intake
from app.services.codes import code_text
from tests import factories
from tests.console_support import audit_entries, post, request_at, text

PHONE = "+8613800138000"


def _position(page: str, marker: str) -> int:
    at = page.find(marker)
    assert at != -1, f"{marker!r} is not on the page"
    return at


def _section(page: str, marker: str, end: str = "</section>") -> str:
    start = _position(page, marker)
    return page[start : page.index(end, start)]


def test_the_actions_come_before_the_request_the_candidates_and_the_timeline(
    client, world, login_as
):
    login_as("social_worker")
    factories.make_volunteer(world.station_a, name="王热心", skills=("shopping",))
    r = request_at(world.station_a)
    page = text(client.get(f"/station/r/{r.id}"))
    actions = _position(page, 'id="actions"')
    assert actions < _position(page, 'id="action-accept"') < _position(page, "求助内容")
    assert actions < _position(page, 'id="candidates"') and actions < _position(
        page, 'id="timeline"'
    )
    # The first control of the card is the main move, 受理, as the primary button.
    card = _section(page, 'id="actions"')
    first_button = re.search(r"<button[^>]*>([^<]*)</button>", card)
    assert first_button and first_button.group(1) == "受理"
    assert "button-primary" in first_button.group(0)
    assert "不予受理" in card
    # Only what a new request allows: no offer, no direct assignment, no closing.
    for absent in ('id="action-offer"', 'id="action-assign"', 'id="action-close"'):
        assert absent not in card


def test_an_accepted_request_leads_with_the_offer(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a, status="accepted")
    card = _section(text(client.get(f"/station/r/{r.id}")), 'id="actions"')
    first_button = re.search(r"<button[^>]*>([^<]*)</button>", card)
    assert first_button and first_button.group(1) == "派单给志愿者"
    tag = first_button.group(0)
    assert 'id="action-offer"' in tag and "button-primary" in tag
    assert 'id="action-accept"' not in card and 'id="action-reject"' not in card
    assert 'id="action-assign"' in card


def test_candidates_after_the_first_three_are_folded(client, world, login_as):
    login_as("social_worker")
    names = ["甲一", "乙二", "丙三", "丁四", "戊五"]
    for number, name in enumerate(names):
        factories.make_volunteer(
            world.station_a, name=name, skills=("shopping",), lat=34.76 + number * 0.005
        )
    r = request_at(world.station_a, status="accepted")
    section = _section(text(client.get(f"/station/r/{r.id}")), 'id="candidates"')
    shown, _, folded = section.partition('<details class="action more-candidates"')
    assert folded, "no fold for the candidates past the first three"
    assert sum(name in shown for name in names) == 3
    assert sum(name in folded for name in names) == 2
    assert "另外 2 位可以承接的人" in folded
    assert "<details" not in shown


def test_three_candidates_or_fewer_are_not_folded(client, world, login_as):
    login_as("social_worker")
    for name in ("甲一", "乙二"):
        factories.make_volunteer(world.station_a, name=name, skills=("shopping",))
    r = request_at(world.station_a, status="accepted")
    section = _section(text(client.get(f"/station/r/{r.id}")), 'id="candidates"')
    assert "甲一" in section and "乙二" in section and "more-candidates" not in section


def _file(world, **overrides):
    values = {
        "category": "shopping",
        "village_id": world.village_a2.id,
        "contact_phone": PHONE,
        "description": "想请人帮忙买米",
        "address": "五号楼二单元",
    }
    values.update(overrides)
    created = intake.submit_request(**values)
    db.session.commit()
    return created


def _notice(page: str) -> str:
    start = _position(page, 'id="possible-duplicate"')
    return page[start : page.index("</form>\n  </div>", start)]


def test_the_possible_duplicate_shows_what_where_when_and_merges_plainly(client, world, login_as):
    earlier = _file(world, description="想请人帮忙买米，腿脚不便")
    repeat = _file(world, description="还是买米的事")
    login_as("social_worker", station=world.station_a)
    page = text(client.get(f"/station/r/{repeat.id}"))
    notice = _notice(page)
    assert "想请人帮忙买米，腿脚不便" in notice  # what it says
    assert world.village_a2.name in notice and "五号楼二单元" in notice  # where
    assert "收到时间" in notice and earlier.created_at.strftime("%Y") in notice  # when
    button = re.search(r'<button[^>]*id="merge-into-earlier"[^>]*>([^<]*)</button>', notice)
    assert (
        button
        and button.group(1)
        == f"关闭本求助 {code_text(repeat.code)}，并入 {code_text(earlier.code)}"
    )
    # The notice sits in the actions, right after 受理 and before the folded ones.
    notice_at = _position(page, 'id="possible-duplicate"')
    assert _position(page, 'id="action-accept"') < notice_at < _position(page, 'id="action-reject"')

    response = post(client, f"/station/r/{repeat.id}/merge", {"merge-target": earlier.code})
    assert response.status_code == 302
    stored = db.session.get(HelpRequest, repeat.id)
    assert stored.status == "cancelled" and stored.merged_into_id == earlier.id
    assert db.session.get(HelpRequest, earlier.id).status == "new"
    after = text(client.get(response.headers["Location"]))
    assert f"{code_text(repeat.code)} 已关闭，并入 {code_text(earlier.code)}" in after


def test_merge_suggestions_say_what_where_when_and_which_is_closed(client, world, login_as):
    login_as("social_worker")
    first = request_at(
        world.station_a,
        minutes_ago=60,
        lat=34.7600,
        lon=113.6000,
        description="楼下王奶奶想买一袋米",
        address="三号楼一层",
    )
    dup = request_at(world.station_a, lat=34.7630, lon=113.6010)
    page = text(client.get(f"/station/r/{dup.id}"))
    merge = _section(page, 'id="action-merge"', "</details>")
    assert "（1 条可能重复）" in merge
    assert f"合并后，本求助（{code_text(dup.code)}）随即关闭" in merge
    item = merge[merge.index('class="list-item merge-suggestion"') :]
    assert "楼下王奶奶想买一袋米" in item and "三号楼一层" in item and "收到时间" in item
    assert f"关闭本求助 {code_text(dup.code)}，并入 {code_text(first.code)}" in item
    assert f"关闭本求助 {code_text(dup.code)}，并入上面填写的求助" in merge


def test_a_suggested_request_about_a_child_keeps_its_words_on_its_own_page(client, world, login_as):
    login_as("social_worker")
    child = request_at(
        world.station_a,
        minutes_ago=60,
        special_groups=["left_behind_child"],
        description="孩子放学没人接",
        address="七号楼",
    )
    assert child.involves_minor
    adult = request_at(world.station_a)
    page = text(client.get(f"/station/r/{adult.id}"))
    merge = _section(page, 'id="action-merge"', "</details>")
    assert child.code in merge and "涉及儿童" in merge
    assert "孩子放学没人接" not in page and "七号楼" not in page
    assert audit_entries("view_minor_request") == []


def test_a_reader_sees_no_words_nor_address_of_the_duplicate_and_no_buttons(
    client, world, login_as
):
    _file(world, description="想请人帮忙买米，腿脚不便")
    repeat = _file(world, description="还是买米的事")
    login_as("county_supervisor")
    page = text(client.get(f"/station/r/{repeat.id}"))
    notice = page[_position(page, 'id="possible-duplicate"') :]
    notice = notice[: notice.index("</div>")]
    assert world.village_a2.name in notice
    assert "腿脚不便" not in page and "五号楼二单元" not in page
    assert "<form" not in notice and 'id="actions"' not in page


def test_another_stations_worker_cannot_open_the_page(client, world, login_as):
    _file(world)
    repeat = _file(world)
    login_as("social_worker", station=world.station_b)
    assert client.get(f"/station/r/{repeat.id}").status_code == 404
