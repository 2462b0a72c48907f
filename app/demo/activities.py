"""The demo county's community activities (issue 18), made by the activities' own use cases
at the time each step happened: past ones held and closed (so they count in their
months), upcoming ones with sign-ups and a waiting list, one posted by the demo team
leader, one cancelled. Built last, so the dice it throws change nothing before it."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.demo import data as D
from app.demo.state import LOCAL_OFFSET, Demo
from app.models import User
from app.models.vocab import ACTIVITY_CATEGORY
from app.services import activities, activity_access

# (title, kind, days from now, local hour, minutes, places, village index, sign-ups,
#  checked in, ledger people served, head count, place)
PAST = [
    ("重阳节敬老义剪", "haircut", -40, 9, 180, 6, 0, 6, 5, 3, 18, "村委会广场"),
    ("防范电信诈骗宣讲", "anti_fraud", -21, 15, 90, 4, 1, 4, 4, 2, 35, "村文化大院"),
    ("四点半课堂", "homework_club", -9, 16, 120, 5, 2, 5, 4, 2, 12, "村小学教室"),
    ("健康义诊进村", "health_check", -3, 9, 150, 6, 1, 5, 5, 4, 26, "卫生室门前"),
]
UPCOMING = [
    ("冬季健康义诊", "health_check", 3, 9, 150, 8, 1, 5, "卫生室门前"),
    ("志愿便民服务日", "service_day", 6, 9, 240, 3, 0, 5, "镇政府广场"),
    ("周末四点半课堂", "homework_club", 12, 16, 120, 6, 2, 2, "村小学教室"),
]


def _at_local(demo: Demo, days: int, hour: int) -> datetime:
    day = (demo.local(demo.now) + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return day - LOCAL_OFFSET


def build(demo: Demo) -> dict[str, int]:
    town = demo.towns[D.DEMO_STATION]
    worker = demo.workers_of(town)[0]
    volunteers = [v for v in town.volunteers if v.volunteer.status == "approved"]
    demo_volunteer = next(v for v in volunteers if v.username == "zhiyuanzhe")
    others = [v for v in volunteers if v is not demo_volunteer]
    counts = {"held": 0, "upcoming": 0}
    for (
        title,
        kind,
        days,
        hour,
        minutes,
        places,
        village,
        signed,
        came,
        named,
        heads,
        place,
    ) in PAST:
        starts = _at_local(demo, days, hour)
        demo.at(starts - timedelta(days=7))
        activity = _post(demo, worker, town, title, kind, starts, minutes, places, village, place)
        people = [demo_volunteer, *demo.rng.sample(others, signed - 1)]
        for person in people:
            demo.at(demo.clock.at + timedelta(hours=demo.rng.randint(1, 20)))
            activities.sign_up(activity, person)
        demo.at(starts + timedelta(minutes=10))
        for person in people[:came]:
            activities.check_in_by_code(person, activity.checkin_code)
        for person in demo.rng.sample(town.beneficiaries, min(named, len(town.beneficiaries))):
            activities.add_resident(activity, worker, person.id)
        activities.set_head_count(activity, heads)
        demo.at(starts + timedelta(minutes=minutes + 30))
        activities.close(activity, worker)
        counts["held"] += 1
    demo.at(demo.now - timedelta(days=2))
    for title, kind, days, hour, minutes, places, village, signed, place in UPCOMING:
        starts = _at_local(demo, days, hour)
        activity = _post(demo, worker, town, title, kind, starts, minutes, places, village, place)
        people = [demo_volunteer, *demo.rng.sample(others, signed - 1)]
        for person in people:
            activities.sign_up(activity, person)
        counts["upcoming"] += 1
    _by_the_leader_and_cancelled(demo, worker, town, others)
    demo.at(demo.now)
    return counts


def _post(demo, by: User, town, title, kind, starts, minutes, places, village, place):
    villages = activity_access.villages_for_posting(by)
    chosen = town.villages[village % len(town.villages)]
    return activities.post_activity(
        by,
        title=title,
        kind=kind,
        starts_at=starts,
        minutes=minutes,
        village_id=chosen.id if chosen in villages else None,
        volunteer_capacity=places,
        place=place,
        special_groups=["elderly_alone"] if kind in ("haircut", "health_check") else [],
        skills=[ACTIVITY_CATEGORY[kind]],
        door_to_door=kind == "haircut",
    )


def _by_the_leader_and_cancelled(demo: Demo, worker: User, town, others: list[User]) -> None:
    leader = next((v for v in town.volunteers if v.username == "duizhang"), None)
    if leader is not None and activity_access.led_team(leader) is not None:
        starts = _at_local(demo, 8, 14)
        activity = _post(
            demo,
            leader,
            town,
            "青年志愿者走访独居老人",
            "companionship",
            starts,
            120,
            4,
            0,
            "村委会",
        )
        for person in others[:2]:
            activities.sign_up(activity, person)
    starts = _at_local(demo, 4, 10)
    activity = _post(
        demo, worker, town, "反诈宣传进集市", "anti_fraud", starts, 90, 3, 1, "集市路口"
    )
    activities.sign_up(activity, others[-1])
    demo.at(demo.now - timedelta(days=1))
    activities.cancel(activity, worker)
