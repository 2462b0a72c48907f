"""Community activities (issue 18): post, sign up and the waiting list, check in, the
people served, close (counted once) and cancel; who may manage one."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, ActivitySignup, ServiceRecord
from app.services import ServiceError, activities, activity_access, activity_lists
from app.services.volunteers import certificate, service_records, total_hours
from tests import factories
from tests.activities_support import make_worker, move_start, post, templates_to


def _volunteers(world, n):
    return [factories.make_volunteer(world.station_a) for _ in range(n)]


def test_a_worker_posts_an_activity_for_a_village_of_the_station(world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a2, skills=["haircut", "nonsense"])
    assert activity.station_id == world.station_a.id
    assert activity.status == "scheduled" and activity.taken == 0
    assert len(activity.code) == 5 and len(activity.checkin_code) == 4
    assert activity.skills == ["haircut"]
    assert (activity.lat, activity.lon) == (world.village_a2.lat, world.village_a2.lon)


def test_posting_refuses_bad_input_and_another_stations_village(world):
    worker = make_worker(world.station_a)
    with pytest.raises(ServiceError) as error:
        post(worker, world.village_b1)
    assert error.value.field == "village_id"
    for bad in ({"title": " "}, {"kind": "party"}, {"minutes": 5}, {"capacity": 0}):
        with pytest.raises(ServiceError):
            post(worker, world.village_a1, **bad)
    with pytest.raises(ServiceError):
        post(worker, world.village_a1, starts_in=timedelta(hours=-1))
    assert db.session.scalar(select(func.count(Activity.id))) == 0


def test_the_villages_a_poster_may_choose_are_those_of_their_station(world):
    names = {
        station: [v.name for v in activity_access.villages_for_posting(make_worker(station))]
        for station in (world.station_a, world.room_a1, world.county_centre)
    }
    assert names[world.station_a] == ["杏花社区", "桃园村"]
    assert names[world.room_a1] == ["杏花社区"]
    assert sorted(names[world.county_centre]) == sorted(["杏花社区", "桃园村", "河口村"])


def test_an_approved_team_leader_posts_for_the_teams_station(world):
    leader = factories.make_volunteer(world.station_a, roles=("volunteer", "team_leader"))
    team = factories.make_team(world.station_a, leader)
    activity = post(leader, world.village_a1)
    assert (activity.station_id, activity.team_id) == (world.station_a.id, team.id)
    assert activity_access.may_manage(leader, activity)


def test_who_may_manage_an_activity(world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1)
    other_worker = make_worker(world.station_b)
    volunteer = factories.make_volunteer(world.station_a)
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    pending_leader = factories.make_volunteer(
        world.station_a, roles=("volunteer", "team_leader"), status="pending"
    )
    factories.make_team(world.station_a, pending_leader)
    other_leader = factories.make_volunteer(world.station_a, roles=("volunteer", "team_leader"))
    factories.make_team(world.station_a, other_leader)
    assert activity_access.may_manage(worker, activity)
    for refused in (other_worker, volunteer, supervisor, pending_leader, other_leader, None):
        assert not activity_access.may_manage(refused, activity)
    for refused in (volunteer, supervisor, pending_leader):
        with pytest.raises(ServiceError):
            post(refused, None)


def test_places_then_a_waiting_list_that_moves_up_with_a_text(world):
    activity = post(make_worker(world.station_a), world.village_a1, capacity=2)
    a, b, c, d = _volunteers(world, 4)
    statuses = [activities.sign_up(activity, v).status for v in (a, b, c, d)]
    assert statuses == ["signed_up", "signed_up", "waiting", "waiting"]
    assert activities.sign_up(activity, a).status == "signed_up"  # twice: nothing changes
    db.session.refresh(activity)
    assert activity.taken == 2
    activities.withdraw(activity, a)
    db.session.refresh(activity)
    assert activity.taken == 2
    assert activities.signup_of(activity, c).status == "signed_up"
    assert activities.signup_of(activity, d).status == "waiting"
    assert templates_to(c.phone) == ["activity_waiting", "activity_promoted"]
    assert templates_to(a.phone) == ["activity_signed_up", "activity_withdrawn"]
    # leaving the waiting list frees no place; signing up again goes to the end
    activities.withdraw(activity, d)
    assert activities.sign_up(activity, a).status == "waiting"
    db.session.refresh(activity)
    assert activity.taken == 2


def test_only_approved_volunteers_sign_up_and_not_after_the_start(world):
    activity = post(make_worker(world.station_a), world.village_a1)
    pending = factories.make_volunteer(world.station_a, status="pending")
    with pytest.raises(ServiceError):
        activities.sign_up(activity, pending)
    move_start(activity, timedelta(minutes=-5))
    with pytest.raises(ServiceError):
        activities.sign_up(activity, factories.make_volunteer(world.station_a))


def test_check_in_by_code_and_by_roster_then_close_counts_once(world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1, capacity=3, minutes=90)
    a, b, c = _volunteers(world, 3)
    for v in (a, b, c):
        activities.sign_up(activity, v)
    with pytest.raises(ServiceError):  # not yet the day
        activities.check_in_by_code(a, activity.checkin_code)
    move_start(activity, timedelta(minutes=30))
    with pytest.raises(ServiceError):
        activities.check_in_by_code(a, "0000")
    assert activities.check_in_by_code(a, activity.checkin_code).status == "attended"
    signup_b = activities.signup_of(activity, b)
    activities.tick_roster(activity, signup_b.id, present=True)
    people = [factories.make_beneficiary(world.station_a, world.village_a1) for _ in range(2)]
    people[0].special_groups = ["elderly_alone"]
    for person in people:
        activities.add_resident(activity, worker, person.id)
    activities.add_resident(activity, worker, people[0].id)  # twice: once
    activities.set_head_count(activity, 7)
    move_start(activity, timedelta(minutes=-90))  # it ends: closing needs the start passed
    records = activities.close(activity, worker, hours={signup_b.id: Decimal("1.00")})
    db.session.commit()
    assert sorted((r.volunteer_id, r.hours, r.person_times) for r in records if r.volunteer_id) == [
        (a.id, Decimal("1.50"), 0),
        (b.id, Decimal("1.00"), 0),
    ]
    served = [r for r in records if r.volunteer_id is None]
    assert sorted(r.person_times for r in served) == [1, 1, 7]
    assert {r.beneficiary_id for r in served} == {people[0].id, people[1].id, None}
    assert all(r.source == "activity" and r.category == "haircut" for r in records)
    total = db.session.scalar(select(func.sum(ServiceRecord.person_times)))
    assert total == 9
    # the volunteer's hours page and certificate
    assert total_hours(service_records(a)) == Decimal("1.50")
    assert certificate(a).hours == Decimal("1.50")
    assert service_records(c) == []  # never checked in: no hours
    with pytest.raises(ServiceError):  # closed twice: refused, nothing counted again
        activities.close(activity, worker)
    assert db.session.scalar(select(func.count(ServiceRecord.id))) == 5


def test_cancelling_texts_everyone_signed_up_or_waiting(world):
    activity = post(make_worker(world.station_a), world.village_a1, capacity=1)
    a, b = _volunteers(world, 2)
    activities.sign_up(activity, a)
    activities.sign_up(activity, b)
    assert activities.cancel(activity, None) == 2
    assert templates_to(a.phone)[-1] == "activity_cancelled"
    assert templates_to(b.phone)[-1] == "activity_cancelled"
    with pytest.raises(ServiceError):
        activities.sign_up(activity, factories.make_volunteer(world.station_a))
    with pytest.raises(ServiceError):
        activities.close(activity, None)


def test_the_reminder_goes_once_the_day_before(world):
    activity = post(make_worker(world.station_a), world.village_a1, starts_in=timedelta(hours=20))
    later = post(make_worker(world.station_a), world.village_a1, starts_in=timedelta(days=3))
    a, b = _volunteers(world, 2)
    activities.sign_up(activity, a)
    activities.sign_up(later, b)
    from app.jobs.activities import remind_activities
    from app.jobs.scheduler import _jobs

    assert "remind activities" in [job.name for job in _jobs()]
    assert remind_activities() == 1
    assert remind_activities() == 0
    assert templates_to(a.phone) == ["activity_signed_up", "activity_reminder"]
    assert templates_to(b.phone) == ["activity_signed_up"]


def test_volunteers_see_activities_near_them_nearest_first(world):
    worker_a, worker_b = make_worker(world.station_a), make_worker(world.station_b)
    far = post(worker_b, world.village_b1, title="河口村义诊")
    near = post(worker_a, world.village_a1, title="杏花社区义剪")
    nearer = post(worker_a, world.village_a2, title="桃园村作业班")
    volunteer = factories.make_volunteer(world.station_a, lat=34.751, lon=113.591, radius_km=5)
    found = [n.activity.id for n in activity_lists.nearby(volunteer)]
    assert found == [nearer.id, near.id]
    assert far.id not in found
    public = activity_lists.public_upcoming(world.station_a)
    assert [p.title for p in public] == ["杏花社区义剪", "桃园村作业班"]


# --- fifty at once for ten places, on both databases ----------------------------------------


def test_fifty_sign_ups_at_once_give_ten_places_and_forty_waiting(app, world, backend):
    """Each thread has its own app context, session and connection, as a web request."""
    activity_id = post(make_worker(world.station_a), world.village_a1, capacity=10).id
    people = [v.id for v in _volunteers(world, 50)]
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(len(people))
    results: dict[int, str] = {}

    def sign_up(user_id: int) -> None:
        from app.models import User

        with app.app_context():
            try:
                activity = db.session.get(Activity, activity_id)
                user = db.session.get(User, user_id)
                _ = user.volunteer.status
                db.session.commit()  # give the connection back until the race starts
                barrier.wait(timeout=60)
                results[user_id] = activities.sign_up(activity, user).status
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - any other error fails the test below
                db.session.rollback()
                results[user_id] = f"error: {type(error).__name__}: {error}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign_up, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    outcomes = sorted(results.values())
    assert outcomes == ["signed_up"] * 10 + ["waiting"] * 40, backend
    assert db.session.get(Activity, activity_id).taken == 10
    stored = db.session.execute(
        select(ActivitySignup.status, func.count())
        .where(ActivitySignup.activity_id == activity_id)
        .group_by(ActivitySignup.status)
    ).all()
    assert dict(stored) == {"signed_up": 10, "waiting": 40}


def test_two_workers_closing_at_once_count_it_once(app, world, backend):
    """The close is a first-wins move: of two at the same moment, one counts, one is refused."""
    from app.models import User

    worker = make_worker(world.station_a)
    other = make_worker(world.station_a)
    activity = post(worker, world.village_a1, minutes=60)
    volunteer = factories.make_volunteer(world.station_a)
    activities.sign_up(activity, volunteer)
    move_start(activity, timedelta(minutes=5))
    activities.check_in_by_code(volunteer, activity.checkin_code)
    activities.set_head_count(activity, 4)
    move_start(activity, timedelta(minutes=-5))  # started: it may be closed
    ids = (activity.id, worker.id, other.id)
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def close(by_id: int) -> None:
        with app.app_context():
            try:
                found = db.session.get(Activity, ids[0])
                by = db.session.get(User, by_id)
                _ = (found.status, [s.status for s in found.signups], by.roles)
                db.session.commit()
                barrier.wait(timeout=30)
                activities.close(found, by)
                db.session.commit()
                results.append("closed")
            except ServiceError:
                db.session.rollback()
                results.append("refused")
            except Exception as error:  # noqa: BLE001 - fails the test below
                db.session.rollback()
                results.append(f"error: {type(error).__name__}: {error}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=close, args=(i,)) for i in ids[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["closed", "refused"], backend
    assert db.session.scalar(select(func.count(ServiceRecord.id))) == 2
    assert db.session.scalar(select(func.sum(ServiceRecord.person_times))) == 4
