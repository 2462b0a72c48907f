"""Matching, the rules alone: who may take a request on, why not, and in what order.

Plain values in (a ``Prospect`` per volunteer or team, a ``Need`` per request, unsaved
model objects for the claim-time checks); no database: any SQL fails the test. The app
is there for its settings and its words only.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from app import config, create_app
from app.extensions import db
from app.models import HelpRequest, Team, User, VolunteerProfile
from app.services import geo
from app.services.matching import rules
from app.services.matching.rules import Need, Prospect
from app.services.matching.weights import WEIGHTS
from app.services.wording import category_label

PLACE = (34.765, 113.605)  # village A1 of the test county
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
_ids = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def words_and_settings_only():
    """An app for its config and translations; its database must never be asked."""

    def refuse(*_args):
        raise AssertionError("the matching rules ran SQL")

    app = create_app(config.TestConfig())
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", refuse)
        yield app
        event.remove(db.engine, "before_cursor_execute", refuse)


def prospect(km: float = 1.0, **values) -> Prospect:
    """A volunteer ``km`` north of the place: radius 10 km, shopping, any time, limit 2."""
    fields = {
        "kind": "volunteer",
        "id": next(_ids),
        "lat": PLACE[0] + km / 110.574,
        "lon": PLACE[1],
        "radius_km": 10.0,
        "skills": ["shopping"],
        "availability": [{"day": d, "start": "00:00", "end": "23:59"} for d in range(7)],
        "limit": 2,
        "vetted": False,
    }
    fields.update(values)
    found = Prospect(**fields)
    found.approx_km = geo.approx_km(*PLACE, found.lat, found.lon)
    return found


# --- who may take it, and why not --------------------------------------------------------


@pytest.mark.parametrize(
    ("someone", "need", "why_not"),
    [
        (dict(km=4), Need("shopping"), None),
        (dict(km=12), Need("shopping"), rules.OUT_OF_REACH),
        (dict(km=12), Need("shopping", radius_factor=1.5), None),  # a later offer round
        (dict(km=4, skills=["haircut"]), Need("shopping"), rules.NO_SKILL),
        (dict(km=4, skills=[]), Need("shopping"), rules.NO_SKILL),
        (dict(km=4), Need("shopping", minor=True), rules.NOT_VETTED),
        (dict(km=4, vetted=True), Need("shopping", minor=True), None),
        (dict(km=4, kind="team"), Need("shopping", minor=True), rules.NOT_VETTED),
        (dict(km=4, kind="team", vetted=True), Need("shopping", minor=True), None),
        (
            dict(km=4, availability=[{"day": 1, "start": "08:00", "end": "20:00"}]),
            Need("shopping", local_time=MONDAY_10),
            rules.NOT_AVAILABLE,
        ),
        (dict(km=4, availability=[]), Need("shopping", local_time=MONDAY_10), rules.NOT_AVAILABLE),
        (dict(km=4, availability=[]), Need("shopping"), None),  # no wanted time fits everybody
        (
            dict(km=4, availability=[{"day": 0, "start": "08:00", "end": "12:00"}]),
            Need("shopping", local_time=MONDAY_10),
            None,
        ),
    ],
)
def test_the_rules_refuse_each_kind_of_prospect_with_its_reason(someone, need, why_not):
    assert rules.refusal(prospect(**someone), need) == why_not


def test_the_first_rule_broken_is_the_reason_given():
    everything_wrong = prospect(km=12, skills=["haircut"], availability=[])
    need = Need("shopping", minor=True, local_time=MONDAY_10)
    assert rules.refusal(everything_wrong, need) == rules.OUT_OF_REACH
    assert rules.refusal(prospect(km=4, skills=["haircut"]), need) == rules.NO_SKILL


def test_the_open_task_limit_counts_active_claims_only():
    assert rules.limit_refusal(prospect(limit=1, claims={"active": 1})) == rules.AT_LIMIT
    assert rules.limit_refusal(prospect(limit=2, claims={"active": 1, "done": 9})) is None
    assert rules.limit_refusal(prospect(kind="team", limit=5, claims={"active": 5})) == (
        rules.AT_LIMIT
    )


def test_social_worker_only_categories_go_to_no_volunteer_or_team():
    assert rules.request_refusal("crisis_intervention") == rules.SOCIAL_WORKERS_ONLY
    assert rules.request_refusal("emotional_support") == rules.SOCIAL_WORKERS_ONLY
    assert rules.request_refusal("shopping") is None


def test_weekly_windows_in_local_time():
    night = [{"day": 6, "start": "22:00", "end": "11:00"}]  # Sunday night into Monday
    assert rules.available(night, MONDAY_10) is True
    assert rules.available(night, MONDAY_10.replace(hour=11, minute=1)) is False
    assert rules.available(night, datetime(2026, 11, 29, 23, 0, tzinfo=SHANGHAI)) is True
    broken = [{"day": 0, "start": "8"}, {"start": "08:00", "end": "12:00"}, "Monday"]
    assert rules.available(broken, MONDAY_10) is False
    assert rules.available([], None) is True
    # A stored moment is UTC: 02:00 UTC on Monday is 10:00 in Shanghai.
    assert rules.local_time(datetime(2026, 11, 30, 2, 0)) == MONDAY_10
    assert rules.local_time(None) is None


# --- in what order, and why --------------------------------------------------------------


def ranked_ids(prospects, need=Need("shopping"), limit=10):
    return [r.prospect.id for r in rules.rank(prospects, PLACE, need, limit=limit)]


def test_nearest_first_when_all_else_is_equal():
    far, near, middle = prospect(6), prospect(1), prospect(3)
    ranked = rules.rank([far, near, middle], PLACE, Need("shopping"), limit=10)
    assert [r.prospect for r in ranked] == [near, middle, far]
    assert [round(r.km, 2) for r in ranked] == [1.0, 3.01, 6.02]  # geodesic, not 110.574 km/°
    assert ranked_ids([far, near, middle], limit=2) == [near.id, middle.id]


def test_continuity_and_reliability_outrank_a_little_distance():
    near, known = prospect(1), prospect(4, served=True)
    assert ranked_ids([near, known]) == [known.id, near.id]
    flaky = prospect(1.5, claims={"done": 1, "released": 4})
    steady = prospect(2.5, claims={"done": 19, "released": 1})
    assert ranked_ids([flaky, steady]) == [steady.id, flaky.id]
    # Spread the work: with one task in hand, a little nearer is not enough.
    busy, free = prospect(1, claims={"active": 1}), prospect(2)
    assert ranked_ids([busy, free]) == [free.id, busy.id]
    # Specialists first.
    many_skills = prospect(1, skills=["shopping", "cleaning", "companionship", "haircut"])
    only_this = prospect(1.5)
    assert ranked_ids([many_skills, only_this]) == [only_this.id, many_skills.id]


def test_ranking_leaves_out_those_at_their_limit_and_those_the_exact_distance_puts_beyond():
    at_limit = prospect(1, limit=1, claims={"active": 1})
    # 10.1 km on a 10 km radius: within the quick test's margin, beyond the exact one.
    just_beyond = prospect(10.1)
    assert rules.refusal(just_beyond, Need("shopping")) is None
    fit = prospect(5)
    assert ranked_ids([at_limit, just_beyond, fit]) == [fit.id]
    assert ranked_ids([just_beyond], Need("shopping", radius_factor=1.5)) == [just_beyond.id]


def test_the_weights_in_one_place_make_the_score():
    assert sum(vars(WEIGHTS).values()) == pytest.approx(1.0)
    best = prospect(0, served=True, claims={"done": 3})
    assert rules.score(best, 0.0, 1.0) == 1.0
    newcomer = prospect(0)  # new: counts as 0.8 reliable; no continuity
    assert rules.score(newcomer, 0.0, 1.0) == pytest.approx(0.4 + 0.1 + 0.15 * 0.8 + 0.1)
    # Closeness falls to 0 at 30 km (60 km in a round that looks twice as far).
    assert rules.score(newcomer, 15.0, 1.0) == pytest.approx(0.2 + 0.1 + 0.12 + 0.1)
    assert rules.score(newcomer, 15.0, 2.0) == pytest.approx(0.3 + 0.1 + 0.12 + 0.1)
    assert rules.score(newcomer, 45.0, 1.0) == pytest.approx(0.1 + 0.12 + 0.1)


def test_the_reasons_in_plain_words():
    newcomer = prospect(1)
    assert rules.reasons(newcomer, 1.0, category_label("shopping")) == [
        "1.0 公里",
        "擅长：代购",
        "新志愿者，还没有完成过任务",
        "目前手上没有任务",
    ]
    team = prospect(0.85, kind="team", served=True, claims={"done": 19, "released": 1, "active": 1})
    assert rules.reasons(team, 0.853, category_label("shopping")) == [
        "850 米",
        "志愿服务队",
        "擅长：代购",
        "服务过这位求助人",
        "完成率 95%",
        "手上有 1 个任务",
    ]
    assert rules.distance_words(0.004) == "10 米"


# --- the same rules at claim time, for one person or team --------------------------------


def volunteer(
    status="approved", *, active=True, confirmed=True, skills=("shopping",), vetted=False
):
    user = User(name="志愿者", active=active, phone_confirmed_at=MONDAY_10 if confirmed else None)
    user.volunteer = VolunteerProfile(
        status=status, skills=list(skills), vetted_for_children=vetted
    )
    return user


NOT_APPROVED = "您的志愿者账号还没有通过审核。"
SUSPENDED = "您的志愿者账号已暂停，暂时不能接任务。如有疑问请联系社工站。"
SOCIAL_WORKERS = "这类求助只能由社工站的社工处理。"


@pytest.mark.parametrize(
    ("user", "request_values", "problem"),
    [
        (volunteer(), {}, None),
        (volunteer("suspended"), {}, SUSPENDED),
        (volunteer("pending"), {}, NOT_APPROVED),
        (volunteer(active=False), {}, NOT_APPROVED),
        (volunteer(confirmed=False), {}, NOT_APPROVED),
        (User(name="没有登记", active=True), {}, NOT_APPROVED),
        (volunteer(), {"category": "crisis_intervention"}, SOCIAL_WORKERS),
        (
            volunteer(),
            {"special_groups": ["left_behind_child"]},
            "这个求助涉及未成年人，只有通过儿童服务审核的志愿者才能接。",
        ),
        (volunteer(vetted=True), {"special_groups": ["left_behind_child"]}, None),
        (volunteer(skills=["haircut"]), {}, "这个任务需要的技能不在您登记的范围内。"),
    ],
)
def test_a_volunteer_is_told_why_they_may_not_take_it(user, request_values, problem):
    request = HelpRequest(**{"category": "shopping", "special_groups": [], **request_values})
    assert rules.eligibility_problem(request, user) == problem


def test_a_volunteer_without_the_skill_may_still_finish_what_was_given_them():
    request = HelpRequest(category="shopping", special_groups=[])
    assert (
        rules.eligibility_problem(request, volunteer(skills=["haircut"]), check_skills=False)
        is None
    )


def team(leader=None, *, active=True, skills=("shopping",)):
    return Team(name="服务队", active=active, skills=list(skills), leader=leader or volunteer())


@pytest.mark.parametrize(
    ("someone", "request_values", "problem"),
    [
        (team(), {}, None),
        (team(active=False), {}, "这支服务队目前没有启用。"),
        (team(volunteer("suspended")), {}, SUSPENDED),
        (team(volunteer("pending")), {}, NOT_APPROVED),
        (team(volunteer(active=False)), {}, NOT_APPROVED),
        (Team(name="没有队长", active=True, skills=["shopping"]), {}, NOT_APPROVED),
        (team(), {"category": "crisis_intervention"}, SOCIAL_WORKERS),
        (
            team(),
            {"special_groups": ["child_in_difficulty"]},
            "这个求助涉及未成年人，只有队长通过儿童服务审核的服务队才能接。",
        ),
        (team(volunteer(vetted=True)), {"special_groups": ["child_in_difficulty"]}, None),
        (team(skills=["cleaning"]), {}, "这个任务需要的技能不在您服务队登记的范围内。"),
    ],
)
def test_a_team_is_told_why_it_may_not_take_it(someone, request_values, problem):
    request = HelpRequest(**{"category": "shopping", "special_groups": [], **request_values})
    assert rules.team_eligibility_problem(request, someone) == problem
