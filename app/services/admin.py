"""Station admin: approve or suspend volunteers, vet them for work with children, teams
and their leaders, and each volunteer's reliability and hours."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Claim, ServiceRecord, Team, TeamMember, User, VolunteerProfile
from app.models.base import utcnow
from app.services import ServiceError, activities, claims, workflow
from app.services.access import acting_station_ids

VOLUNTEER_STATUSES = ("pending", "approved", "suspended", "rejected")


@dataclass
class VolunteerRow:
    profile: VolunteerProfile
    user: User
    done: int
    released: int
    hours: Decimal

    @property
    def reliability(self) -> int | None:
        total = self.done + self.released
        return round(100 * self.done / total) if total else None


def volunteers(user: User, status: str = "") -> list[VolunteerRow]:
    stations = acting_station_ids(user) or {-1}
    query = (
        select(VolunteerProfile, User)
        .join(User, User.id == VolunteerProfile.user_id)
        .where(
            VolunteerProfile.station_id.in_(stations),
            # A sign-up whose phone was never confirmed does not count (issue 13).
            User.phone_confirmed_at.is_not(None),
        )
    )
    if status:
        query = query.where(VolunteerProfile.status == status)
    rows = db.session.execute(query.order_by(VolunteerProfile.status, User.name)).all()
    ids = [u.id for _p, u in rows] or [-1]
    claims = {
        (vid, st): n
        for vid, st, n in db.session.execute(
            select(Claim.volunteer_id, Claim.status, func.count())
            .where(Claim.volunteer_id.in_(ids))
            .group_by(Claim.volunteer_id, Claim.status)
        ).all()
    }
    hours = dict(
        db.session.execute(
            select(ServiceRecord.volunteer_id, func.sum(ServiceRecord.hours))
            .where(ServiceRecord.volunteer_id.in_(ids))
            .group_by(ServiceRecord.volunteer_id)
        ).all()
    )
    return [
        VolunteerRow(
            profile,
            u,
            claims.get((u.id, "done"), 0),
            claims.get((u.id, "released"), 0),
            Decimal(hours.get(u.id) or 0),
        )
        for profile, u in rows
    ]


def visible_profile(user: User, volunteer_id: int) -> VolunteerProfile | None:
    profile = db.session.get(VolunteerProfile, volunteer_id)
    if profile is None or profile.station_id not in acting_station_ids(user):
        return None
    return profile


def approve(profile: VolunteerProfile, actor: User) -> VolunteerProfile:
    """Approve a volunteer; the team they chose at sign-up (still active, and of the
    station they are filed under) takes them in."""
    if profile.status == "approved":
        raise ServiceError(_("This volunteer is already approved."))
    if not profile.user.phone_confirmed:
        raise ServiceError(_("This volunteer has not confirmed their phone number yet."))
    profile.status = "approved"
    profile.approved_at = utcnow()
    profile.approved_by_id = actor.id
    team = profile.wanted_team
    if (
        team is not None
        and team.active
        and team.station_id is not None
        and team.station_id == profile.station_id
        and db.session.get(TeamMember, (team.id, profile.user_id)) is None
    ):
        db.session.add(TeamMember(team_id=team.id, user_id=profile.user_id))
    profile.wanted_team_id = None
    db.session.flush()
    return profile


@dataclass
class Suspension:
    profile: VolunteerProfile
    released: list[Claim]  # not yet started: given back, offered again
    started: list[Claim]  # already under way: the station follows them up


def suspend(profile: VolunteerProfile, actor: User) -> Suspension:
    """Suspend a volunteer. Their tasks not yet started (their own, and their team's that
    no member was given) go back through the ordinary release, with the reason on the
    timeline, so the station's offers reach someone else. A started task cannot be given
    back by the state machine: it stays, and the station is told to follow it up. A task
    their team gave a member before stays with that member. Their places in upcoming
    activities go to the waiting list (activities.withdraw_suspended)."""
    if profile.status != "approved":
        raise ServiceError(_("Only an approved volunteer can be suspended."))
    profile.status = "suspended"
    db.session.flush()
    user_id = profile.user_id
    led = select(Team.id).where(Team.leader_id == user_id)
    active = db.session.scalars(
        select(Claim)
        .where(
            Claim.status == "active",
            or_(
                (Claim.volunteer_id == user_id) & Claim.team_id.is_(None),
                Claim.team_id.in_(led)
                & (Claim.dispatched_to_id.is_(None) | (Claim.dispatched_to_id == user_id)),
            ),
        )
        .order_by(Claim.id)
    ).all()
    released: list[Claim] = []
    started: list[Claim] = []
    reason = _("Given back by the station: the volunteer was suspended.")
    for claim in active:
        if claim.request.status == "assigned":
            claims.release(claim, actor=actor, reason=reason)
            released.append(claim)
        else:
            started.append(claim)
    activities.withdraw_suspended(profile.user, actor)  # their places go to the waiting list
    return Suspension(profile, released, started)


def set_vetted(profile: VolunteerProfile, actor: User, vetted: bool) -> VolunteerProfile:
    if vetted and profile.status != "approved":
        raise ServiceError(_("Approve the volunteer before vetting them for children."))
    profile.vetted_for_children = vetted
    db.session.flush()
    return profile


def teams(user: User) -> list[Team]:
    query = select(Team).where(Team.station_id.in_(acting_station_ids(user) or {-1}))
    return list(db.session.scalars(query.order_by(Team.name)))


def visible_team(user: User, team_id: int) -> Team | None:
    team = db.session.get(Team, team_id)
    if team is None or team.station_id not in acting_station_ids(user):
        return None
    return team


def _approved_volunteer(user: User, volunteer_id: int | None, field: str) -> User:
    """Only approved volunteers join or lead a team: a leader sees the members' names and
    hands them tasks."""
    profile = visible_profile(user, volunteer_id) if volunteer_id else None
    if profile is not None and profile.status == "pending":
        raise ServiceError(
            _("This volunteer is still waiting for approval: approve them first."), field=field
        )
    if profile is not None and profile.status == "suspended":
        raise ServiceError(
            _("This volunteer is suspended and cannot join or lead a team."), field=field
        )
    if profile is None or profile.status != "approved":
        raise ServiceError(_("Choose an approved volunteer of your station."), field=field)
    return profile.user


def create_team(actor: User, *, name: str, kind: str, leader_id: int | None) -> Team:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the team a name."), field="name")
    if kind not in ("volunteer_team", "social_org"):
        raise ServiceError(_("Choose the kind of team."), field="kind")
    leader = _approved_volunteer(actor, leader_id, "leader_id")
    station = actor.station
    team = Team(
        name=name[:100],
        kind=kind,
        station_id=actor.station_id,
        leader_id=leader.id,
        lat=station.lat if station else None,
        lon=station.lon if station else None,
    )
    db.session.add(team)
    db.session.flush()
    db.session.add(TeamMember(team_id=team.id, user_id=leader.id))
    leader.add_role("team_leader")
    db.session.flush()
    return team


def add_member(team: Team, actor: User, volunteer_id: int | None) -> TeamMember:
    member = _approved_volunteer(actor, volunteer_id, "volunteer_id")
    if any(m.user_id == member.id for m in team.members):
        raise ServiceError(_("Already in this team."), field="volunteer_id")
    row = TeamMember(team_id=team.id, user_id=member.id)
    team.members.append(row)
    db.session.flush()
    return row


def remove_member(team: Team, actor: User, user_id: int) -> None:
    if user_id == team.leader_id:
        raise ServiceError(_("Choose another leader before removing this one."))
    row = next((m for m in team.members if m.user_id == user_id), None)
    if row is None:
        raise ServiceError(_("Not a member of this team."))
    team.members.remove(row)
    _take_back_from(team, row.user, actor)
    db.session.flush()


def _take_back_from(team: Team, user: User, actor: User) -> None:
    """A member leaving the team no longer does its tasks: one given to them and not yet
    started goes back to the leader to give to someone else. A started one stays on the
    team (the leader can finish it); the former member sees no details of either
    (claims.doer_problem)."""
    given = db.session.scalars(
        select(Claim).where(
            Claim.team_id == team.id,
            Claim.status == "active",
            Claim.dispatched_to_id == user.id,
        )
    ).all()
    for claim in given:
        request = claim.request
        if request.status != "assigned":
            continue
        claim.dispatched_to_id = None
        request.assigned_volunteer_id = None
        workflow.record_event(
            request,
            "dispatch",
            actor=actor,
            note=_("Taken back from %(name)s, who left the team.", name=user.name),
            public=False,
        )


def set_leader(team: Team, actor: User, volunteer_id: int | None) -> Team:
    leader = _approved_volunteer(actor, volunteer_id, "leader_id")
    if not any(m.user_id == leader.id for m in team.members):
        team.members.append(TeamMember(team_id=team.id, user_id=leader.id))
    team.leader_id = leader.id
    leader.add_role("team_leader")
    db.session.flush()
    return team
