"""Who may post and manage community activities (issue 18).

A worker acts for their station (and the rooms below it: ``access.acting_station_ids``);
an approved volunteer with the team-leader role who leads an active team posts for the
team's station and manages the team's activities. A county supervisor reads the counts
and changes nothing; anyone else (a plain volunteer, another station's worker, a
stranger) may do nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Activity, Beneficiary, Region, Station, Team, User
from app.services import access, volunteers


def led_team(user: User | None) -> Team | None:
    """The active team ``user`` leads, when they are an approved volunteer with the role."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not user.has_role("team_leader") or not approved(user):
        return None
    return volunteers.led_team(user)


def approved(user: User) -> bool:
    return user.volunteer is not None and user.volunteer.status == "approved"


def may_post(user: User | None) -> bool:
    return bool(access.acting_station_ids(user)) or led_team(user) is not None


def may_manage(user: User | None, activity: Activity | None) -> bool:
    """The workers who act for its station, or the approved leader of its team. A county
    supervisor reads the counts, never changes a station's work."""
    if activity is None or user is None:
        return False
    if activity.station_id in access.acting_station_ids(user):
        return True
    team = led_team(user)
    return team is not None and activity.team_id == team.id


def managed_activities(user: User, *, upcoming: bool) -> list[Activity]:
    # The list shows each one's place (``wording.place_label``): load it with the row.
    query = select(Activity).options(joinedload(Activity.village), joinedload(Activity.station))
    team = led_team(user)
    acting = access.acting_station_ids(user)
    if acting:
        query = query.where(Activity.station_id.in_(acting))
    elif team is not None:
        query = query.where(Activity.team_id == team.id)
    else:
        return []
    if upcoming:
        query = query.where(Activity.status == "scheduled").order_by(Activity.starts_at)
    else:
        query = query.where(Activity.status != "scheduled").order_by(Activity.starts_at.desc())
    return list(db.session.scalars(query.limit(100)))


def villages_for_posting(user: User) -> list[Region]:
    """The villages of the poster's station (a team's: its station's): a room's own
    village, a township's villages, every village of the county for its centre."""
    team = led_team(user) if not access.acting_station_ids(user) else None
    station = db.session.get(Station, team.station_id) if team is not None else user.station
    if station is None:
        return []
    ids = {station.region_id}
    for _level in ("township", "village"):  # down at most two levels: county → village
        ids |= set(db.session.scalars(select(Region.id).where(Region.parent_id.in_(ids))))
    return list(
        db.session.scalars(
            select(Region)
            .where(Region.id.in_(ids), Region.level == "village")
            .order_by(Region.code)
        )
    )


def ledger_choices(user: User, activity: Activity) -> list[tuple[str, str]]:
    """People of the ledger the worker may name as served (their stations'), the
    activity's village first; none for anyone else, and none once the activity is over
    (the form is shown for a scheduled one only)."""
    if activity.status != "scheduled":
        return []
    acting = access.acting_station_ids(user)
    if not acting or activity.station_id not in acting:
        return []
    people = db.session.scalars(
        select(Beneficiary)
        .options(joinedload(Beneficiary.village))
        .where(Beneficiary.station_id.in_(acting))
        .order_by((Beneficiary.village_id == activity.village_id).desc(), Beneficiary.name)
        .limit(300)
    )
    return [(str(p.id), p.name + (f" · {p.village.name}" if p.village else "")) for p in people]
