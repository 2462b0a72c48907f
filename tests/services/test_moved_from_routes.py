"""Rules that used to live in the routes (issue 14: thin routes), tested without HTTP."""

from __future__ import annotations

import pytest

from app.services import ServiceError, console_choices, county, ledger_export, proxy_filing
from tests import factories
from tests.console_support import request_at


def _worker(station):
    return factories.make_user(roles=("social_worker",), station=station)


def test_workers_and_approved_volunteers_may_file_for_others(world):
    assert proxy_filing.may_file_for_others(_worker(world.station_a)) is True
    assert proxy_filing.may_file_for_others(factories.make_volunteer(world.station_a)) is True
    pending = factories.make_volunteer(world.station_a, status="pending")
    assert proxy_filing.may_file_for_others(pending) is False


def test_a_proxy_names_only_people_of_their_own_ledger(world):
    mine = factories.make_beneficiary(world.station_a, world.village_a1, name="王大爷")
    factories.make_beneficiary(world.station_b, name="李奶奶")
    people = proxy_filing.people_to_file_for(_worker(world.station_a))
    assert people == [(mine.id, "王大爷 · 杏花社区")]


def test_the_merge_target_is_found_by_its_code_as_typed_within_sight(world):
    worker = _worker(world.station_a)
    target = request_at(world.station_a)
    other_station = request_at(world.station_b)
    typed = f" {target.code[:4].lower()}-{target.code[4:].lower()} "
    assert console_choices.merge_target(worker, typed) == target
    assert console_choices.merge_target(worker, other_station.code) is None
    assert console_choices.merge_target(worker, "") is None


def test_the_assign_target_names_one_active_person_or_team(world):
    worker = _worker(world.station_a)
    volunteer = factories.make_volunteer(world.station_a)
    team = factories.make_team(world.station_a, volunteer)
    assert console_choices.assign_target(worker, f"volunteer:{volunteer.id}") == (
        "volunteer",
        volunteer,
    )
    assert console_choices.assign_target(worker, f"team:{team.id}") == ("team", team)
    assert console_choices.assign_target(worker, f"worker:{worker.id}") == ("worker", worker)
    far_worker = _worker(world.station_b)
    for choice in ("", "nobody:1", "team:x", f"worker:{far_worker.id}", "volunteer:999999"):
        with pytest.raises(ServiceError) as refused:
            console_choices.assign_target(worker, choice)
        assert refused.value.field == "target"
    # Approval is console.assign's rule, told only after the station check: named here,
    # an unapproved volunteer of another station would be told apart from no one at all.
    pending = factories.make_volunteer(world.station_a, status="pending")
    assert console_choices.assign_target(worker, f"volunteer:{pending.id}") == (
        "volunteer",
        pending,
    )


def test_the_ledger_csv_masks_formulas_and_logs_the_export(world):
    worker = _worker(world.station_a)
    factories.make_beneficiary(world.station_a, name="=HYPERLINK()", phone="+8613912345678")
    text = ledger_export.ledger_csv(worker)
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("'=HYPERLINK()")
    assert "139 1234 5678" in lines[1]  # the one phone format (wording.phone_display)


def test_the_county_sees_counts_per_station_and_the_escalated_requests(world):
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    request_at(world.station_a)
    escalated = request_at(world.station_b, status="accepted", escalated=True)
    rows = {row["station"].id: row for row in county.station_rows(supervisor)}
    assert (rows[world.station_a.id]["new"], rows[world.station_a.id]["open"]) == (1, 1)
    assert (rows[world.station_b.id]["escalated"], rows[world.station_b.id]["new"]) == (1, 0)
    assert county.escalated_requests(supervisor) == [escalated]
    assert county.station_named(str(world.station_b.id)) == world.station_b
    assert county.station_named("x") is None


def test_as_id_takes_plain_ascii_digits_only():
    from app.services import as_id

    assert [as_id(v) for v in ("12", " 7 ", "0")] == [12, 7, 0]
    assert [as_id(v) for v in ("²", "١٢", "-1", "1.5", "", None, "12a")] == [None] * 7


def test_as_id_refuses_numbers_no_row_has_instead_of_failing():
    """A 6,000-digit 'village' once made int() raise (Python's 4,300-digit limit): a 500."""
    from app.services import as_id

    assert as_id(str(2**31 - 1)) == 2**31 - 1  # PostgreSQL's integer holds no more
    assert as_id(str(2**31)) is None
    assert as_id("99999999999") is None
    assert as_id("9" * 18) is None
    assert as_id("1" * 19) is None
    assert as_id("1" * 6000) is None
