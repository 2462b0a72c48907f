"""The demo station's micro-wish board 微心愿 and resources ledger (issue 18): a wish in
every state, each played through the wish use cases at its own time, and the donations
and projects the station recorded.

Told after the year's history, with the demo's one random stream, so nothing before it
changes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app.demo import data as D
from app.demo.state import Demo
from app.services import resources, wish_deadlines, wish_delivery, wishes, wording

# (what, need, yuan, days ago it was recorded, the steps it has been through since)
WISHES = [
    ("一个新书包", "study", 120, 30, ("publish", "claim", "confirm", "deliver")),
    ("一双运动鞋", "clothing", 150, 26, ("publish", "claim", "confirm", "deliver")),
    ("一套课外读物", "study", 80, 8, ("publish", "claim", "confirm")),
    ("一件羽绒服", "clothing", 200, 4, ("publish", "claim")),
    ("去县城科技馆参观一次", "experience", 100, 22, ("publish", "claim", "lapse")),
    ("一盏护眼台灯", "study", 90, 10, ("publish",)),
    ("一副乒乓球拍", "other", 60, 6, ("publish",)),
    ("一个保温饭盒", "daily", 50, 2, ()),
    ("一本新华字典", "study", 40, 12, ("publish", "withdraw")),
    ("一套水彩笔", "study", 30, 60, ("publish", "expire")),
]
DONORS = [
    ("爱心人士王女士", "individual"),
    ("清源县恒达建材有限公司", "company"),
    ("县青年志愿者协会", "team"),
    ("李先生", "individual"),
    ("清源县邮政支行", "company"),
]
DONATIONS = [
    ("donation", "money", "清源县慈善总会", 3000, 20, "困难儿童冬季助学金"),
    ("project", "goods", "“护苗行动”公益项目", 1800, 12, "留守儿童安全教育包40份"),
    ("donation", "goods", "柳林镇惠民超市", 650, 5, "独居老人米面油"),
]


def build_wishes(demo: Demo) -> dict[str, int]:
    town = demo.towns[D.DEMO_STATION]
    worker = demo.workers_of(town)[0]
    children = [p for p in town.beneficiaries if p.is_minor and p.station_id == town.station.id]
    made = 0
    for index, (what, need, yuan, days_ago, steps) in enumerate(WISHES):
        if not children:
            break
        child = children[index % len(children)]
        start = demo.now - timedelta(days=days_ago, hours=demo.rng.randint(0, 6))
        demo.at(demo.local_daytime(start))
        deadline = wording.local_date(start) + timedelta(days=45)
        wish = wishes.record(
            worker, child, what=what, category=need, estimated_value=yuan, deadline=deadline
        )
        _play(demo, worker, wish, steps, start, index)
        made += 1
    for source, kind, donor, yuan, days_ago, purpose in DONATIONS:
        demo.at(demo.local_daytime(demo.now - timedelta(days=days_ago)))
        resources.add(
            worker,
            station_id=town.station.id,
            source=source,
            kind=kind,
            donor_name=donor,
            value=yuan,
            received_on=wording.local_today(),
            purpose=purpose,
        )
    demo.at(demo.now)
    return {"wishes": made, "resources": len(DONATIONS)}


def _play(demo: Demo, worker, wish, steps, start, index: int) -> None:
    donor, kind = DONORS[index % len(DONORS)]
    when = start
    for step in steps:
        when = when + timedelta(days=1, hours=demo.rng.randint(1, 5))
        demo.at(min(demo.local_daytime(when), demo.now - timedelta(minutes=5)))
        if step == "publish":
            wishes.publish(worker, wish)
        elif step == "claim":
            wishes.claim(wish, name=donor, phone=demo.mobile(), kind=kind)
        elif step == "confirm":
            wishes.confirm(worker, wish)
        elif step == "deliver":
            wish_delivery.deliver(
                worker, wish, delivered_on=wording.local_today(), thanks="孩子很开心"
            )
        elif step == "withdraw":
            wishes.withdraw(worker, wish)
        elif step in ("lapse", "expire"):  # unconfirmed in time, or past its date: the job
            day = wish.claim_due if step == "lapse" else wish.deadline
            morning = datetime.combine(day + timedelta(days=1), time(8, 0))
            demo.at(min(wording.to_utc(morning), demo.now - timedelta(minutes=5)))
            assert wish.id in wish_deadlines.overdue_claim_ids()
            wish_deadlines.release_claim(wish.id)
