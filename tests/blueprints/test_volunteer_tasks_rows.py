"""The nearby-tasks list reads plain rows, not ORM requests (issue 17): it must still show
what the ORM request would, in the same order, to the same people, in few statements."""

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import HelpRequest
from app.models.base import utcnow
from app.services import geo, matching, privacy, volunteers, wording
from app.services.nearby import LINE_SLACK
from tests import factories
from tests.blueprints.test_volunteer_fixes import counted_statements
from tests.blueprints.test_volunteer_task_order import offer_to
from tests.volunteer_support import fast_passwords, north_of, sign_in, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


def _mixed_tasks(world) -> dict[str, HelpRequest]:
    """Offered tasks that differ in each thing a line shows or a rule reads."""
    a1 = world.village_a1
    this_year = utcnow().year

    def offered(name, km, **kwargs):
        kwargs.setdefault("village", a1)
        return name, factories.make_request(
            world.station_a, status="offered", **north_of(a1, km), **kwargs
        )

    child = factories.make_beneficiary(world.station_a, a1, birth_year=this_year - 9)
    adult = factories.make_beneficiary(world.station_a, a1, birth_year=this_year - 70)
    in_care = factories.make_beneficiary(world.station_a, a1, special_groups=["left_behind_child"])
    made = dict(
        [
            offered("plain", 0.2),
            offered("urgent", 0.4, urgency="urgent", wanted_at=utcnow() + timedelta(days=1)),
            offered("noted", 0.6, wanted_note="下午三点后，钥匙在隔壁王阿姨家"),
            offered("no_village", 0.8, village=None),
            offered("adult", 1.0, beneficiary_id=adult.id, category="companionship"),
            offered("child_born", 1.2, beneficiary_id=child.id),
            offered("child_in_care", 1.4, beneficiary_id=in_care.id),
            offered("child_group", 1.6, special_groups=["child_in_difficulty"]),
            offered("far_offer", 25.0, category="companionship"),
            offered("out_of_reach", 25.0),
            offered("not_a_skill", 0.3, category="haircut"),
        ]
    )
    db.session.commit()
    return made


def _expected(volunteer, made: dict[str, HelpRequest], offered: dict[int, float]) -> list:
    """The list worked out from the ORM requests, independently of the search."""
    profile = volunteer.volunteer
    lines = []
    for request in made.values():
        km = geo.approx_km(profile.home_lat, profile.home_lon, request.lat, request.lon)
        if request.id not in offered and km > profile.radius_km:
            continue
        if matching.eligibility_problem(request, volunteer) is not None:
            continue
        # in reach: the distance from home; an offer from further: the offer's own
        km = round(km, 1) if km <= profile.radius_km else offered[request.id]
        lines.append((request.id not in offered, km, request))
    return [request for _sent, _km, request in sorted(lines, key=lambda t: (t[0], t[1]))]


@pytest.mark.parametrize("vetted", [False, True])
def test_the_lines_say_what_the_orm_request_says(world, vetted):
    volunteer = volunteer_near(world, 0, vetted_for_children=vetted, radius_km=10)
    made = _mixed_tasks(world)
    offer_to(volunteer, made["far_offer"], 24.0)  # from a wider round: outside the box

    found = volunteers.nearby_tasks(volunteer)

    expected = _expected(volunteer, made, {made["far_offer"].id: 24.0})
    assert [t.request.id for t in found] == [r.id for r in expected]
    minors = {made[k].id for k in ("child_born", "child_in_care", "child_group")}
    shown = {t.request.id for t in found}
    assert (minors <= shown) if vetted else not (minors & shown)
    for view in found:
        orm = db.session.get(HelpRequest, view.request.id)
        line = view.request
        assert (line.category, line.urgency, line.status) == (orm.category, orm.urgency, "offered")
        assert (line.wanted_at, line.wanted_note) == (orm.wanted_at, orm.wanted_note)
        assert line.involves_minor == orm.involves_minor
        assert view.village == wording.place_label(orm)
        assert privacy.time_note_before_claim(line) == privacy.time_note_before_claim(orm)
        assert (view.offer is not None) == (orm.id == made["far_offer"].id)
        assert not hasattr(line, "address") and not hasattr(line, "contact_phone"), (view, orm)


def _lines(html: str) -> list[tuple[str, ...]]:
    """Each task line as the reader sees it: link, title, distance, where and when, badges."""
    items = re.findall(r'<li class="list-item task-item (.*?)</li>', html, flags=re.S)
    text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "|", item)).strip() for item in items]
    links = [re.search(r'href="/v/t/(\d+)"', item).group(1) for item in items]
    return list(zip(links, text, strict=True))


def test_the_page_shows_each_line_as_from_the_orm_request(client, world):
    volunteer = volunteer_near(world, 0, radius_km=10)
    made = _mixed_tasks(world)
    offer_to(volunteer, made["noted"], 0.6)
    sign_in(client, volunteer)

    lines = _lines(client.get("/v/tasks").get_data(as_text=True))

    expected = _expected(volunteer, made, {made["noted"].id: 0.6})
    assert [int(link) for link, _text in lines] == [r.id for r in expected]
    by_id = dict(lines)
    noted, no_village = by_id[str(made["noted"].id)], by_id[str(made["no_village"].id)]
    assert "接单后" in noted and "王阿姨" not in noted  # the note stays with the claim
    assert world.station_a.name in no_village  # no village: the station says where
    assert "600 米" in noted and "is-offered" in noted
    assert "urgency-urgent" in by_id[str(made["urgent"].id)]
    for request in made.values():
        assert request.contact_phone not in "".join(text for _link, text in lines)


def test_the_page_reads_in_a_fixed_number_of_statements(app, client, world):
    """The user; the led team with the open offers and their tasks' lines (one statement);
    the nearest with their lines: two rings at the first view (the first ring holds fewer
    than the list needs), then the whole reach at once (the place has learnt it,
    ``nearby.first_ring``). However many lines, offers, beneficiaries, villages and
    stations."""
    volunteer = volunteer_near(world, 0, radius_km=10)
    made = _mixed_tasks(world)
    offer_to(volunteer, made["far_offer"], 24.0)
    offer_to(volunteer, made["plain"], 0.2)
    sign_in(client, volunteer)
    with counted_statements(app) as seen:
        first = client.get("/v/tasks").get_data(as_text=True)
    assert len(seen) == 4, "\n\n".join(seen)
    with counted_statements(app) as seen:
        html = client.get("/v/tasks").get_data(as_text=True)
    assert html.count('class="list-item task-item') == 6
    assert _lines(html) == _lines(first)
    assert len(seen) == 3, "\n\n".join(seen)
    with counted_statements(app) as seen:
        client.get("/v/tasks", headers={"HX-Request": "true"})
    assert len(seen) == 3, "\n\n".join(seen)


def test_past_a_first_chunk_not_for_them_the_next_lines_are_read_too(app, world):
    """The search joins the lines to its first chunk only: when the nearest are children's
    tasks an unvetted volunteer may not take, the next chunk's lines are read, and the
    list is still the one worked out from the ORM requests."""
    volunteer = volunteer_near(world, 0, radius_km=10)
    a1 = world.village_a1
    made = {}
    for i in range(40):
        made[f"child{i}"] = factories.make_request(
            world.station_a,
            status="offered",
            village=a1,
            special_groups=["left_behind_child"],
            **north_of(a1, 0.1 + i * 0.01),
        )
    for i in range(6):
        made[f"plain{i}"] = factories.make_request(
            world.station_a, status="offered", village=a1, **north_of(a1, 1 + i * 0.1)
        )
    db.session.commit()
    assert volunteer.volunteer.status == "approved"  # the profile read, as a page has it

    with counted_statements(app) as seen:
        found = volunteers.nearby_tasks(volunteer)

    assert [t.request.id for t in found] == [r.id for r in _expected(volunteer, made, {})]
    assert [t.request.id for t in found] == [made[f"plain{i}"].id for i in range(6)]
    assert len(seen) <= 4, "\n\n".join(seen)  # led team and offers, two rings, next lines


def test_a_sparse_reach_has_every_line_read_with_the_last_ring(app, world):
    """A sparse county: the first ring holds one task, the whole reach a few more than the
    first chunk, and the nearest of them are children's tasks this unvetted volunteer may
    not take, so the list needs rows past the first chunk. The last ring brings every
    line with it: no statement for the next chunk's lines (one more before), and the list
    is the one worked out from the ORM requests."""
    volunteer = volunteer_near(world, 0, radius_km=10)
    a1 = world.village_a1
    made = {
        "first_ring": factories.make_request(
            world.station_a, status="offered", village=a1, **north_of(a1, 0.5)
        )
    }
    for i in range(8):  # past the first ring's box (2.5 km), nearest of the rest
        made[f"child{i}"] = factories.make_request(
            world.station_a,
            status="offered",
            village=a1,
            special_groups=["left_behind_child"],
            **north_of(a1, 3.0 + i * 0.05),
        )
    for i in range(volunteers.NEARBY_LIMIT):
        made[f"plain{i}"] = factories.make_request(
            world.station_a, status="offered", village=a1, **north_of(a1, 4.0 + i * 0.1)
        )
    db.session.commit()
    first_chunk = volunteers.NEARBY_LIMIT + 5
    assert first_chunk < len(made) <= first_chunk + LINE_SLACK
    assert volunteer.volunteer.status == "approved"  # the profile read, as a page has it

    with counted_statements(app) as seen:
        found = volunteers.nearby_tasks(volunteer)

    expected = _expected(volunteer, made, {})
    assert len(expected) == volunteers.NEARBY_LIMIT + 1  # the first ring's and all plain
    assert [t.request.id for t in found] == [r.id for r in expected[: volunteers.NEARBY_LIMIT]]
    assert len(seen) == 3, "\n\n".join(seen)  # led team and offers, the two rings


def test_a_first_ring_holding_the_whole_list_is_the_only_one_read(app, client, world):
    """Enough tasks for the list inside the first ring's inscribed circle: nothing outside
    it can be nearer, so the wider ring is not read (the user, the led team with the open
    offers, one ring), and the list is the one worked out from the ORM requests."""
    volunteer = volunteer_near(world, 0, radius_km=10)
    a1 = world.village_a1
    made = {
        f"near{i}": factories.make_request(
            world.station_a, status="offered", village=a1, **north_of(a1, 0.1 + i * 0.05)
        )
        for i in range(volunteers.NEARBY_LIMIT + 2)
    }
    made["farther"] = factories.make_request(
        world.station_a, status="offered", village=a1, **north_of(a1, 4.0)
    )
    db.session.commit()
    sign_in(client, volunteer)
    client.get("/v/tasks")
    with counted_statements(app) as seen:
        html = client.get("/v/tasks").get_data(as_text=True)
    assert len(seen) == 3, "\n\n".join(seen)
    expected = _expected(volunteer, made, {})[: volunteers.NEARBY_LIMIT]
    assert [int(link) for link, _text in _lines(html)] == [r.id for r in expected]


def test_a_team_leaders_page_has_the_team_read_with_the_offers(app, client, world):
    """The led team comes from the offers' statement: a leader with no offers still gets
    the team's tasks and its badge; a volunteer leading no team gets none."""
    volunteer = volunteer_near(world, 0, skills=("shopping",), radius_km=10)
    a1 = world.village_a1
    cleaning = factories.make_request(
        world.station_a, status="offered", village=a1, category="cleaning", **north_of(a1, 0.5)
    )
    db.session.commit()
    sign_in(client, volunteer)
    html = client.get("/v/tasks").get_data(as_text=True)
    assert f"/v/t/{cleaning.id}" not in html  # not a skill of theirs
    factories.make_team(
        world.station_a, volunteer, skills=["cleaning"], lat=a1.lat, lon=a1.lon, radius_km=10
    )
    db.session.commit()
    html = client.get("/v/tasks").get_data(as_text=True)
    assert f"/v/t/{cleaning.id}" in html and "给您的服务队" in html
