"""The short ask form (issue 16 items 1, 2 and 4): residents' words, the "in danger now"
page, errors a person finds, and when the station answers, on both databases."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Station
from app.models.vocab import PROFESSIONAL_CATEGORIES, RESIDENT_CATEGORIES
from app.services import wording
from tests.conftest import csrf_token_from
from tests.public_support import (
    PHONE_E164,
    form_token_from,
    look_up,
    make_tracked,
    open_form,
    post_ask,
    requests_in_db,
)

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def test_residents_choose_among_their_own_words_never_the_stations_vocabulary(client, world):
    html, _csrf, _token = open_form(client)
    offered = re.findall(r'name="category"[^>]* value="([^"]+)"', html)
    assert offered == list(RESIDENT_CATEGORIES)
    assert 7 <= len(offered) <= 11
    assert not set(offered) & PROFESSIONAL_CATEGORIES
    for words in ("送饭上门", "陪我去看病", "其他（用您自己的话说）"):
        assert words in html
    for station_words in ("需求评估", "资源链接", "危机介入", "社会救助申请"):
        assert station_words not in html
    # Icons are inline SVG, one per tile: nothing depends on the phone's emoji font.
    assert html.count('class="tile-icon"') == len(offered)
    assert not EMOJI.search(html), EMOJI.findall(html)


def test_a_station_category_sent_by_hand_is_refused_and_nothing_is_stored(client, world):
    for code in sorted(PROFESSIONAL_CATEGORIES):
        response = post_ask(client, world, category=code)
        assert response.status_code == 422, code
        assert "请选择需要哪方面的帮助" in response.get_data(as_text=True)
    assert requests_in_db() == []


def test_workers_filing_for_someone_keep_every_category(client, world, login_as):
    login_as("social_worker")
    html = client.get("/proxy").get_data(as_text=True)
    offered = set(re.findall(r'name="category"[^>]* value="([^"]+)"', html))
    assert PROFESSIONAL_CATEGORIES <= offered
    assert 'name="special_groups"' in html  # the station records the groups


def test_an_old_requests_category_still_shows_in_the_stations_words(client, world):
    tracked = make_tracked(world, category="resource_linking")
    look_up(client, tracked.code, "8000")
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert "资源链接" in page


def test_other_needs_a_few_words_of_its_own(client, world):
    response = post_ask(client, world, category="other", description="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<a href="#description">请用几句话说说您需要什么帮助。</a>' in html
    assert requests_in_db() == []
    response = post_ask(client, world, category="other", description="家里灯泡坏了够不着")
    assert response.status_code == 303
    [created] = requests_in_db()
    assert created.category == "other" and created.description == "家里灯泡坏了够不着"


def test_who_it_is_for_the_one_question_and_urgency_are_stored(client, world):
    response = post_ask(client, world, for_whom="cared_for", lives_alone="y", urgent="y")
    assert response.status_code == 303
    [created] = requests_in_db()
    assert created.for_whom == "cared_for"
    assert created.special_groups == ["elderly_alone"]
    assert created.urgency == "urgent"


def test_a_resident_cannot_set_special_groups_or_a_crisis_by_hand(client, world):
    response = post_ask(
        client, world, special_groups="left_behind_child", urgency="crisis", for_whom="family"
    )
    assert response.status_code == 422  # "family" is not one of the two choices
    response = post_ask(client, world, special_groups="left_behind_child", urgency="crisis")
    assert response.status_code == 303
    [created] = requests_in_db()
    assert created.special_groups == [] and created.urgency == "normal"


def test_an_empty_send_lists_each_problem_as_a_link_to_its_field(client, world):
    html, csrf, token = open_form(client)
    response = client.post("/ask", data={"csrf_token": csrf, "form_token": token})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = re.search(
        r'<div class="error-summary" id="error-summary"[^>]*>(.*?)</div>', page, re.S
    )
    assert summary, "no error summary"
    assert "autofocus" in summary.group(0)  # focus starts here without JavaScript
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary.group(1))
    assert [target for target, _text in links] == ["category-0", "township", "phone", "consent"]
    ids = _ids(page)
    for target, text in links:
        assert target in ids, target
        assert page.count(text) >= 2, text  # also beside the field itself
    assert page.index("error-summary") < page.index('id="field-category"')
    assert requests_in_db() == []


def test_a_chosen_tile_stays_chosen_and_is_not_marked_as_an_error(client, world):
    response = post_ask(client, world, phone="12345")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'<input checked id="category-1" name="category"[^>]* value="shopping">', page)
    assert 'class="field" id="field-category"' in page  # no has-error on the tiles
    assert 'class="field has-error" id="field-phone"' in page
    assert '<a href="#phone">' in page


def test_the_time_fields_come_with_the_set_time_choice_and_open_the_fold(client, world):
    html, _csrf, _token = open_form(client)
    assert '<details class="card ask-more">' in html  # folded while nothing is chosen
    assert 'class="when-later"' in html
    response = post_ask(client, world, wanted_when="later")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<details class="card ask-more" open>' in page
    assert '<a href="#wanted_at">' in page


def test_the_danger_page_shows_110_and_120_first(client, world):
    page = client.get("/ask/danger").get_data(as_text=True)
    assert page.index('href="tel:110"') < page.index("<form")
    assert 'href="tel:120"' in page
    assert "15分钟内" in page
    ask = client.get("/ask").get_data(as_text=True)
    assert ask.index('href="/ask/danger"') < ask.index('id="ask-form"')
    assert "现在有危险" in ask


def _post_danger(client, **data):
    html = client.get("/ask/danger").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(html), "form_token": form_token_from(html), **data}
    return client.post("/ask/danger", data=data)


def test_a_person_in_danger_files_a_crisis_request_with_a_phone_alone(client, world):
    response = _post_danger(client, phone="13800138000", consent="y")
    assert response.status_code == 303
    [created] = requests_in_db()
    assert created.category == "crisis_intervention"
    assert created.urgency == "crisis"
    assert created.contact_phone == PHONE_E164
    assert created.station_id == world.county_centre.id  # no place: the last resort
    done = client.get("/ask/done").get_data(as_text=True)
    assert "社工站会在15分钟内答复您" in done
    assert "110" in done and "120" in done


def test_a_person_in_danger_with_a_village_goes_to_its_station(client, world):
    response = _post_danger(
        client,
        phone="13800138000",
        consent="y",
        township=str(world.township_a.id),
        village=str(world.village_a1.id),
    )
    assert response.status_code == 303
    [created] = requests_in_db()
    assert created.station_id == world.room_a1.id


def test_the_danger_form_without_a_phone_says_so_and_files_nothing(client, world):
    response = _post_danger(client, consent="y")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<a href="#phone">' in page and "autofocus" in page
    assert requests_in_db() == []


def test_the_done_page_says_when_the_station_answers_and_gives_its_number(client, world):
    assert post_ask(client, world).status_code == 303
    [created] = requests_in_db()
    page = client.get("/ask/done").get_data(as_text=True)
    assert "社工站会在1天内答复您" in page
    assert f'href="tel:{created.station.phone}"' in page
    assert wording.phone_display(created.station.phone) in page


def test_the_tracking_page_says_when_while_waiting_and_always_gives_the_number(client, world):
    tracked = make_tracked(world, urgency="urgent")
    look_up(client, tracked.code, "8000")
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert "社工站会在2小时内答复您" in page
    assert f'href="tel:{world.station_a.phone}"' in page
    tracked.status = "accepted"
    db.session.commit()
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert "答复您" not in page  # answered: no promise left to make
    assert f'href="tel:{world.station_a.phone}"' in page


def test_a_stranger_with_only_the_code_sees_neither_the_promise_nor_the_number(client, world):
    tracked = make_tracked(world)
    page = client.get(f"/t/{tracked.code}").get_data(as_text=True)
    assert world.station_a.phone not in page and "答复您" not in page


@pytest.mark.parametrize("phone", ["", "   ", None])
def test_a_station_cannot_be_made_without_a_phone(app, world, phone):
    with pytest.raises(ValueError):
        Station(name="无电话站", kind="township_station", region=world.township_a, phone=phone)
    world.station_a.phone = "+8637100000000"
    with pytest.raises(ValueError):
        world.station_a.phone = phone


def test_response_targets_in_plain_words(app):
    assert wording.within_text(15, "zh") == "15分钟内"
    assert wording.within_text(60, "zh") == "1小时内"
    assert wording.within_text(120, "zh") == "2小时内"
    assert wording.within_text(24 * 60, "zh") == "1天内"
    assert wording.within_text(15, "en") == "within 15 minutes"
    assert wording.within_text(24 * 60, "en") == "within a day"
    assert wording.within_text(36 * 60, "en") == "within 36 hours"


def test_without_javascript_the_danger_form_shows_the_villages_and_files_nothing(client, world):
    response = _post_danger(client, step="villages", township=str(world.township_a.id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert world.village_a1.name in page
    assert "error-summary" not in page
    assert requests_in_db() == []


def test_the_proxy_forms_summary_follows_its_page(client, world, login_as):
    login_as("social_worker")
    html = client.get("/proxy").get_data(as_text=True)
    response = client.post(
        "/proxy", data={"csrf_token": csrf_token_from(html), "form_token": form_token_from(html)}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    targets = re.findall(r'<li><a href="#([^"]+)">', page)
    assert targets == ["category-0", "township", "consent_by", "consent_method-0", "consent"]
    positions = [page.index(f'id="{target}"') for target in targets]
    assert positions == sorted(positions)
