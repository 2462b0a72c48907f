"""The dashboards over HTTP: /station/stats (a station's workers) and /station/county/stats
(the county supervisor). A small data set built by hand whose figures appear exactly on
the page; who may open which page; names of people not reached only for their station;
the period chosen by htmx (the body fragment only) and a bad period (400, the figures
shown before kept).

The clock stands at 2026-11-20 12:00 in Asia/Shanghai (04:00 UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest

from app.demo.clock import frozen_at
from app.extensions import db
from app.models import ServiceRecord, StatsSnapshot
from tests import factories
from tests.console_support import audit_entries, text

NOW = datetime(2026, 11, 20, 4, 0)
STATION = "/station/stats"
COUNTY = "/station/county/stats"
NOVEMBER = "?month=2026-11"


@pytest.fixture
def clock(app):
    with frozen_at(NOW) as frozen:
        yield frozen


def record(station, ended_at, category="shopping", *, groups=(), hours="1.00", **kwargs):
    row = ServiceRecord(
        source=kwargs.pop("source", "claim"),
        station_id=station.id,
        category=category,
        special_groups=list(groups),
        ended_at=ended_at,
        hours=Decimal(hours),
        person_times=kwargs.pop("person_times", 1),
        **kwargs,
    )
    db.session.add(row)
    db.session.flush()
    return row


@dataclass
class Data:
    world: object
    forgotten: object  # station A's person in a group, never served
    served: object  # station A's person in a group, served in November
    far: object  # station B's person in a group, never served


@pytest.fixture
def data(world, clock) -> Data:
    """November 2026: station A 3 person-times (2 shopping, one of them for someone living
    alone; 1 home visit) and 4.5 hours, station B 2 person-times of cleaning and 2 hours;
    one in October at A. A has two certified workers, B none."""
    w = world
    factories.make_user(("social_worker",), w.station_a, certificate_level="assistant")
    factories.make_user(("station_admin",), w.station_a, certificate_level="senior")
    factories.make_user(("social_worker",), w.station_b)
    forgotten = factories.make_beneficiary(
        w.station_a, w.village_a1, name="王独居", special_groups=["elderly_alone"]
    )
    served = factories.make_beneficiary(
        w.station_a, w.village_a2, name="李老人", special_groups=["elderly_alone"]
    )
    far = factories.make_beneficiary(
        w.station_b, w.village_b1, name="赵留守", special_groups=["left_behind_child"]
    )
    record(w.station_a, datetime(2026, 11, 3, 2), hours="1.50")
    record(
        w.station_a,
        datetime(2026, 11, 10, 2),
        groups=["elderly_alone"],
        hours="2.00",
        village_id=w.village_a2.id,
        beneficiary_id=served.id,
    )
    record(w.station_a, datetime(2026, 11, 12, 2), "home_visit", source="visit", hours="1.00")
    record(w.station_b, datetime(2026, 11, 14, 2), "cleaning", hours="2.00", person_times=2)
    record(w.station_a, datetime(2026, 10, 20, 2), hours="3.00")  # October
    db.session.commit()
    return Data(w, forgotten, served, far)


def figure(page: str, name: str) -> str:
    match = re.search(rf'id="{name}"[^>]*>([^<]*)<', page)
    assert match, f"no figure {name} on the page"
    return match.group(1).strip()


def cells(page: str, row_id: str) -> list[str]:
    """The texts of a table row's cells (its header first)."""
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert row, f"no row {row_id}"
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    ]


# --- the station's page ------------------------------------------------------------------


def test_station_page_shows_its_months_figures_exactly(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    response = client.get(STATION + NOVEMBER)
    assert response.status_code == 200
    page = text(response)
    assert "2026年11月" in page
    assert figure(page, "fig-person-times") == "3"
    assert figure(page, "fig-hours") == "4.5"
    assert cells(page, "cat-shopping")[:3] == ["代购", "2", "3.5"]
    assert cells(page, "cat-home_visit")[:3] == ["入户走访", "1", "1"]
    assert cells(page, "cat-total")[:3] == ["合计", "3", "4.5"]
    assert cells(page, f"station-{data.world.station_a.id}")[:3] == ["东风街道社工站", "3", "4.5"]
    assert f'id="station-{data.world.station_b.id}"' not in page  # another station's row
    assert cells(page, f"certified-{data.world.station_a.id}") == [
        "东风街道社工站",
        "2",
        "3",  # and the worker signed in
        "已达标",
    ]
    assert cells(page, "coverage-elderly_alone") == ["独居/留守老人", "2", "1", "50%", "1"]
    assert figure(page, "fig-visits-done") == "1"
    assert cells(page, "source-claim") == ["志愿者或服务队服务", "2"]
    assert cells(page, "source-visit") == ["入户走访", "1"]
    assert cells(page, "source-call") == ["电话慰问", "0"]
    assert page.count("<figure") == 2  # by category, and by station (station A and its room)


def test_october_and_a_range_of_days_count_their_own_days(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    october = text(client.get(STATION + "?month=2026-10"))
    assert figure(october, "fig-person-times") == "1" and figure(october, "fig-hours") == "3"
    days = text(client.get(STATION + "?start=2026-11-01&end=2026-11-10"))
    assert "2026-11-01 至 2026-11-10" in days
    assert figure(days, "fig-person-times") == "2" and figure(days, "fig-hours") == "3.5"


def test_another_stations_id_in_any_parameter_changes_nothing(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    b = data.world.station_b.id
    plain = text(client.get(STATION + NOVEMBER))
    tried = text(client.get(f"{STATION}{NOVEMBER}&station_id={b}&station={b}&scope=county"))
    assert figure(tried, "fig-person-times") == figure(plain, "fig-person-times") == "3"
    assert f'id="station-{b}"' not in tried and "赵留守" not in tried


def test_names_of_people_not_reached_only_for_their_own_station_and_logged(client, data, login_as):
    worker = login_as("social_worker", station=data.world.station_a)
    page = text(client.get(STATION + NOVEMBER))
    link = f'href="/station/ledger/{data.forgotten.id}">王独居</a>'
    assert link in page
    assert "从未服务" in page
    assert "李老人" not in page  # reached this quarter
    entries = audit_entries("view_stats")
    assert [(e.actor_id, e.station_id, e.detail["people"]) for e in entries] == [
        (worker.id, data.world.station_a.id, "1")
    ]


def test_a_worker_of_station_b_sees_only_b(client, data, login_as):
    login_as("social_worker", station=data.world.station_b)
    page = text(client.get(STATION + NOVEMBER))
    assert figure(page, "fig-person-times") == "2"
    assert "赵留守" in page and "王独居" not in page


# --- the county's page -------------------------------------------------------------------


def test_county_page_counts_every_station_counts_only_no_names(client, data, login_as):
    login_as("county_supervisor")
    response = client.get(COUNTY + NOVEMBER)
    assert response.status_code == 200
    page = text(response)
    assert figure(page, "fig-person-times") == "5"
    assert figure(page, "fig-hours") == "6.5"
    assert cells(page, "source-claim") == ["志愿者或服务队服务", "4"]
    assert cells(page, f"station-{data.world.station_b.id}")[:3] == ["柳林镇社工站", "2", "2"]
    assert cells(page, f"certified-{data.world.station_b.id}") == [
        "柳林镇社工站",
        "0",
        "1",
        "不足两名",
    ]
    assert cells(page, f"certified-{data.world.station_a.id}")[-1] == "已达标"
    assert cells(page, "coverage-elderly_alone") == ["独居/留守老人", "2", "1", "50%", "1"]
    assert cells(page, "coverage-left_behind_child") == ["留守儿童", "1", "0", "0%", "1"]
    for name in ("王独居", "赵留守", "李老人"):
        assert name not in page
    assert "/station/ledger/" not in page
    assert audit_entries("view_stats") == []


@pytest.mark.parametrize(
    ("roles", "url", "status"),
    [
        ("volunteer", STATION, 403),
        ("team_leader", STATION, 403),
        (("volunteer", "team_leader"), COUNTY, 403),
        ("social_worker", COUNTY, 403),
        ("station_admin", COUNTY, 403),
        ("county_supervisor", STATION, 403),
    ],
)
def test_who_may_not_open_which_page(client, data, login_as, roles, url, status):
    login_as(roles)
    assert client.get(url + NOVEMBER).status_code == status


@pytest.mark.parametrize("url", [STATION, COUNTY])
def test_a_stranger_is_sent_to_sign_in(client, data, url):
    response = client.get(url + NOVEMBER)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_subnav_links_each_to_its_page(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    assert 'href="/station/stats"' in text(client.get("/station/"))
    login_as("county_supervisor")
    county = text(client.get("/station/county"))
    assert 'href="/station/county/stats"' in county and 'href="/station/stats"' not in county


# --- the period by htmx, and a bad one -----------------------------------------------------


def test_htmx_gets_only_the_body_fragment(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    response = client.get(STATION + "?month=2026-10", headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<div id="stats-body"')
    assert "<html" not in page and "console-nav" not in page
    assert figure(page, "fig-person-times") == "1"
    assert 'hx-get="/station/stats"' in page and 'hx-target="#stats-body"' in page


def test_history_restore_gets_the_whole_page(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    page = text(client.get(STATION + NOVEMBER, headers=headers))
    assert "<html" in page and 'id="stats-body"' in page


@pytest.mark.parametrize(
    ("query", "message", "field"),
    [
        ("?month=2026-13", "请选择月份，例如 2026-11。", "month"),
        ("?start=2026-11-10&end=2026-11-01", "结束日期不能早于开始日期。", "end"),
        ("?start=someday&end=2026-11-01", "请输入日期，例如 2026-11-01。", "start"),
        ("?month=2027-01", "该时段尚未开始，请选择今天及以前的时段。", "month"),
    ],
)
def test_a_bad_period_is_400_with_its_message_and_the_figures_shown_before(
    client, data, login_as, query, message, field
):
    login_as("social_worker", station=data.world.station_a)
    before = "http://localhost/station/stats?month=2026-10"
    response = client.get(STATION + query, headers={"HX-Request": "true", "HX-Current-URL": before})
    assert response.status_code == 400
    assert response.headers["HX-Push-Url"] == "false"
    page = text(response)
    assert f'<p class="error" role="alert" id="stats-error">{message}</p>' in page
    assert re.search(rf'id="stats-{field}"[^>]*aria-invalid="true"', page)
    assert figure(page, "fig-person-times") == "1"  # October's, as shown before


def test_a_bad_period_without_javascript_keeps_the_page_it_came_from(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    response = client.get(
        STATION + "?month=2026-99",
        headers={"Referer": "http://localhost/station/stats?start=2026-11-01&end=2026-11-10"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "<html" in page and "请选择月份，例如 2026-11。" in page
    assert figure(page, "fig-person-times") == "2"
    assert "HX-Push-Url" not in response.headers


def test_no_period_means_this_month(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    page = text(client.get(STATION))
    assert "2026年11月" in page and figure(page, "fig-person-times") == "3"
    assert 'value="2026-11"' in page


def test_the_page_loads_nothing_from_another_site(client, data, login_as):
    login_as("county_supervisor")
    page = text(client.get(COUNTY + NOVEMBER))
    outside = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert outside == {"http://www.w3.org/2000/svg"}
    assert "<script" not in re.sub(
        r'<script src="/static/js/[a-z0-9.-]+\.js" defer></script>', "", page
    )


def test_what_was_typed_comes_back_escaped(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    response = client.get(STATION + '?start="><script>alert(1)</script>&end=2026-11-01')
    assert response.status_code == 400
    page = text(response)
    assert "<script>alert" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/"' in page  # cut at 20 characters


def test_the_station_admin_reads_the_names_view_in_the_access_log(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    client.get(STATION + NOVEMBER)
    login_as("station_admin", station=data.world.station_a)
    log = text(client.get("/station/audit"))
    assert log.count("查看了统计页的未覆盖名单") == 1


# --- snapshots (issue 15 item 7): the page as production serves it --------------------------


@pytest.fixture
def kept(app, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MAX_AGE_SECONDS", 120)


def test_the_page_says_when_it_was_counted_and_counts_again_when_asked(
    client, data, login_as, kept, clock
):
    login_as("social_worker", station=data.world.station_a)
    page = text(client.get(STATION + NOVEMBER))
    assert figure(page, "fig-person-times") == "3"
    assert "数据统计于 2026-11-20 12:00。" in page
    assert "有人查看时，数据每 2 分钟重新统计一次。" in page
    again = "/station/stats?month=2026-11&amp;fresh=1"
    assert f'href="{again}" hx-get="{again}"' in page
    record(data.world.station_a, datetime(2026, 11, 19, 2), person_times=4)
    db.session.commit()
    clock.advance(seconds=70)
    assert figure(text(client.get(STATION + NOVEMBER)), "fig-person-times") == "3"  # as counted
    response = client.get(STATION + NOVEMBER + "&fresh=1", headers={"HX-Request": "true"})
    fresh = text(response)
    assert response.status_code == 200 and fresh.lstrip().startswith('<div id="stats-body"')
    assert figure(fresh, "fig-person-times") == "7"
    assert "数据统计于 2026-11-20 12:01。" in fresh
    assert figure(text(client.get(STATION + NOVEMBER)), "fig-person-times") == "7"


def test_a_range_of_days_counts_again_over_the_same_days(client, data, login_as, kept):
    login_as("county_supervisor")
    page = text(client.get(COUNTY + "?start=2026-11-01&end=2026-11-12"))
    again = "/station/county/stats?start=2026-11-01&amp;end=2026-11-12&amp;fresh=1"
    assert f'href="{again}"' in page
    assert figure(page, "fig-person-times") == "3"  # A's first three, B's are on the 14th


def test_stations_never_read_each_others_snapshot(client, data, login_as, kept):
    login_as("social_worker", station=data.world.station_a)
    a = text(client.get(STATION + NOVEMBER))
    assert "王独居" in a  # A's own person not reached, by name
    login_as("social_worker", station=data.world.station_b)
    b = text(client.get(STATION + NOVEMBER))
    assert figure(b, "fig-person-times") == "2"
    assert "王独居" not in b and "赵留守" in b
    login_as("county_supervisor")
    county = text(client.get(COUNTY + NOVEMBER))
    assert figure(county, "fig-person-times") == "5"
    assert "王独居" not in county and "赵留守" not in county


def test_without_snapshots_the_page_says_when_but_offers_no_recount(client, data, login_as):
    login_as("social_worker", station=data.world.station_a)
    page = text(client.get(STATION + NOVEMBER))
    assert "数据统计于 2026-11-20 12:00。" in page
    assert "fresh=1" not in page and "重新统计" not in page


@pytest.fixture
def body_renders(monkeypatch):
    """How many times the dashboards' body template is rendered."""
    from app.blueprints.console import stats_routes

    seen = []
    real = stats_routes.render_template

    def counting(name, **context):
        if name == "console/_stats_body.html":
            seen.append(name)
        return real(name, **context)

    monkeypatch.setattr(stats_routes, "render_template", counting)
    stats_routes._BODIES.clear()
    return seen


def strip_csrf(html: str) -> str:
    return re.sub(r'("X-CSRFToken": "|name="csrf_token"[^>]*value=")[^"]+"', r'\1"', html)


def test_a_county_body_is_rendered_once_per_snapshot(
    client, data, login_as, kept, clock, body_renders
):
    login_as("county_supervisor")
    first = client.get(COUNTY + NOVEMBER).get_data(as_text=True)
    second = client.get(COUNTY + NOVEMBER).get_data(as_text=True)
    fragment = client.get(COUNTY + NOVEMBER, headers={"HX-Request": "true"})
    assert len(body_renders) == 1
    # the same page but for its CSRF token, masked afresh for each response (app/web/csrf_mask.py)
    assert strip_csrf(first) == strip_csrf(second)
    body = re.search(r'<div id="stats-body".*?\n</div>\n', first, re.S).group(0)
    assert fragment.get_data(as_text=True).lstrip().startswith(body)  # the same body, then
    assert 'id="stats-exports"' in fragment.get_data(as_text=True)  # the exports, out of band
    assert 'hx-swap-oob="true"' in fragment.get_data(as_text=True)
    record(data.world.station_b, datetime(2026, 11, 19, 2), person_times=10)
    db.session.commit()
    clock.advance(seconds=121)  # the snapshot is old: counted again, rendered again
    assert figure(text(client.get(COUNTY + NOVEMBER)), "fig-person-times") == "15"
    assert len(body_renders) == 2
    client.set_cookie("lang", "en")
    english = client.get(COUNTY + NOVEMBER)
    client.delete_cookie("lang")
    assert "Person-times served" in text(english) and len(body_renders) == 3
    october = client.get(COUNTY + "?month=2026-10")
    assert figure(text(october), "fig-person-times") == "1" and len(body_renders) == 4


def test_a_body_with_names_is_rendered_at_each_view(client, data, login_as, kept, body_renders):
    login_as("social_worker", station=data.world.station_a)
    for _ in range(2):
        assert "王独居" in text(client.get(STATION + NOVEMBER))
    assert len(body_renders) == 2


def test_the_same_stations_seen_by_one_who_serves_some_and_one_who_does_not(
    client, data, login_as, kept, body_renders
):
    """One snapshot for the county, two viewers: a supervisor who also works at station A
    sees A's people by name, a plain supervisor sees none, in either order."""
    both = ("county_supervisor", "social_worker")
    login_as(both, station=data.world.station_a)
    assert "王独居" in text(client.get(COUNTY + NOVEMBER))
    login_as("county_supervisor")
    plain = text(client.get(COUNTY + NOVEMBER))
    assert "王独居" not in plain and figure(plain, "fig-person-times") == "5"
    login_as(both, station=data.world.station_a)
    assert "王独居" in text(client.get(COUNTY + NOVEMBER))
    assert db.session.scalar(db.select(db.func.count()).select_from(StatsSnapshot)) == 1
