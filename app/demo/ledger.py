"""The ledger 服务对象台账: 60 people a station looks after, their care plans and visits.

All through the ledger's use cases, each at its own time: ``ledger.create`` (by the worker
who becomes responsible), ``ledger.set_care_plan`` and ``ledger.record_visit``.
"""

from __future__ import annotations

from datetime import timedelta

from app.demo import data as D
from app.demo.state import Demo
from app.models.vocab import MINOR_GROUPS
from app.services import ledger

BENEFICIARY_COUNT = 60
_PLAN = (
    [(["left_behind_child"], "child")] * 9
    + [(["child_in_difficulty"], "child")] * 6
    + [(["elderly_alone"], "old")] * 10
    + [(["elderly_alone", "dibao"], "old")] * 5
    + [(["disabled"], "mid")] * 5
    + [(["disabled", "dibao"], "old")] * 4
    + [(["dibao"], "mid")] * 4
    + [(["left_behind_woman"], "mid")] * 4
    + [(["tekun"], "old")] * 4
    + [(["tekun", "elderly_alone"], "old")] * 4
    + [(["homeless"], "mid")] * 5
)
_MODES = ["overdue", "due_soon", "ok", "ok", "never", "overdue", "ok", "due_soon"]
_VISIT_MINUTES = [30, 45, 60, 40, 90, 30, 20]
_BIRTH = {"child": (2011, 2019), "old": (1936, 1958), "mid": (1965, 1988)}


def build_beneficiaries(demo: Demo) -> None:
    assert len(_PLAN) == BENEFICIARY_COUNT
    rng = demo.rng
    names = list(demo.towns)
    weights = [6 if n == D.DEMO_STATION else 2 if n in D.STAFFED else 0.3 for n in names]
    for index, (groups, age) in enumerate(_PLAN):
        gender = rng.choice("FM")
        if groups == ["homeless"]:
            town = demo.towns[rng.choice(["城关街道", "东城街道"])]
            village = None
        else:
            town = demo.towns[rng.choices(names, weights)[0]]
            village = rng.choice(town.villages)
        station = demo.station_for(village) if village is not None else town.station
        worker = rng.choice(demo.workers_of(town))
        phone = None if age == "child" or rng.random() < 0.2 else demo.mobile()
        guardian = {"guardian_name": "", "guardian_relation": "", "guardian_phone": ""}
        if set(groups) & MINOR_GROUPS or (age == "old" and phone is None):
            relations = D.GUARDIAN_RELATIONS if age == "child" else D.CONTACT_RELATIONS
            relation = rng.choice(sorted(relations))
            guardian_age = "old" if relation in ("祖父", "祖母", "外祖母") else "mid"
            guardian = {
                "guardian_name": demo.person_name(guardian_age, relations[relation]),
                "guardian_relation": relation,
                "guardian_phone": demo.mobile(),
            }
        interval = (
            7
            if "homeless" in groups
            else 14
            if set(groups) & (MINOR_GROUPS | {"elderly_alone"})
            else rng.choice([30, 30, 60])
        )
        mode = _MODES[index % len(_MODES)]
        visits = []
        if mode == "never":
            created = demo.now - timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 8))
        else:
            days_ago = {
                "overdue": interval + rng.randint(2, 15),
                "due_soon": interval - rng.randint(0, 3),
                "ok": rng.randint(1, max(2, interval - 5)),
            }[mode]
            last = demo.local_daytime(demo.now - timedelta(days=days_ago))
            visits = [last - timedelta(days=interval * k) for k in range(rng.randint(1, 3))]
            created = min(
                demo.now - timedelta(days=rng.randint(90, 500)),
                visits[-1] - timedelta(days=rng.randint(1, 6)),
            )
        demo.at(demo.local_daytime(created))
        person = ledger.create(
            worker,
            station_id=station.id,
            name=demo.person_name(age, gender),
            gender={"F": "female", "M": "male"}[gender],
            birth_year=rng.randint(*_BIRTH[age]),
            phone=phone or "",
            special_groups=list(groups),
            village_id=village.id if village is not None else None,
            address=(
                demo.house_address(village)
                if village is not None
                else rng.choice(D.HOMELESS_PLACES)
            ),
            notes="；".join(D.BENEFICIARY_NOTES[g] for g in groups),
            **guardian,
        )
        ledger.set_care_plan(person, interval_days=interval)
        for k, when in enumerate(reversed(visits)):
            demo.at(when)
            ledger.record_visit(
                person,
                worker,
                # How long the worker stayed (no die is cast: the stories stay as they are).
                minutes=_VISIT_MINUTES[(index + k) % len(_VISIT_MINUTES)],
                living_conditions=rng.choices(["good", "fair", "poor"], [5, 4, 1])[0],
                health=rng.choices(["good", "fair", "poor", "needs_care"], [3, 5, 2, 1])[0],
                needs_found=rng.choice(D.VISIT_NEEDS),
                follow_up=rng.choice(D.VISIT_FOLLOW_UPS),
            )
        town.beneficiaries.append(person)
        demo.counts["beneficiaries"] += 1
