"""Whom and what a worker's form on a request may name: the people and teams to give it
to, and the request it duplicates. Whether the named one may take it is the use case's
rule (``console.assign``, ``console.merge``); here only who exists and is in sight."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.models import HelpRequest, Team, User, UserRole, VolunteerProfile
from app.models.people import roles_text, users_with_roles
from app.services import ServiceError, as_id
from app.services.access import may_act_on_request, visible_station_ids
from app.services.codes import normalise_code
from app.services.console import assignable_station_ids

WORKER_ROLES = ("social_worker", "station_admin")
TARGET_KINDS = ("volunteer", "team", "worker")


@dataclass(frozen=True)
class Assignable:
    """Who ``actor`` may give a request to, each list in name order."""

    volunteers: list[User]
    teams: list[Team]
    workers: list[User]


def assignable(actor: User, request: HelpRequest) -> Assignable:
    """Approved volunteers and active teams of the assignable stations; social workers who
    may act on the request, of the stations ``actor`` reads."""
    stations = assignable_station_ids(actor, request) or {-1}
    volunteers = list(
        db.session.scalars(
            select(User)
            .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .where(VolunteerProfile.status == "approved", VolunteerProfile.station_id.in_(stations))
            .order_by(User.name)
            .options(lazyload(User.role_rows))  # only their names are shown
        )
    )
    teams = list(
        db.session.scalars(
            select(Team)
            .where(Team.active.is_(True), Team.station_id.in_(stations))
            .order_by(Team.name)
        )
    )
    readers = visible_station_ids(actor) or {-1}
    social_workers = select(UserRole.user_id).where(UserRole.role == "social_worker")
    workers = users_with_roles(  # their roles decide whom they may act for
        select(User, roles_text())
        .where(User.id.in_(social_workers), User.station_id.in_(readers), User.active)
        .order_by(User.name)
    )
    return Assignable(
        volunteers=volunteers,
        teams=teams,
        workers=[u for u in workers if may_act_on_request(u, request)],
    )


def suggested(actor: User, request: HelpRequest, candidates) -> list:
    """The matched ``candidates`` (``matching.Candidate``) ``actor`` may give the request
    to: volunteers and teams of the assignable stations. The volunteers' stations are read
    in one statement (each ``user.volunteer`` would be a statement of its own)."""
    stations = assignable_station_ids(actor, request) or {-1}
    ids = [c.user.id for c in candidates if c.kind == "volunteer"]
    home = {}
    if ids:
        home = dict(
            db.session.execute(
                select(VolunteerProfile.user_id, VolunteerProfile.station_id).where(
                    VolunteerProfile.user_id.in_(ids)
                )
            ).all()
        )
    return [
        c
        for c in candidates
        if (home.get(c.user.id) if c.kind == "volunteer" else c.team.station_id) in stations
    ]


def assign_target(actor: User, choice: str) -> tuple[str, User | Team]:
    """The volunteer, team or worker a "kind:id" choice names, with its kind; refused
    when it names no one active (or a worker out of ``actor``'s sight)."""
    kind, _sep, raw_id = (choice or "").partition(":")
    wrong = ServiceError(_("Choose who does it from the list."), field="target")
    target_id = as_id(raw_id)
    if kind not in TARGET_KINDS or target_id is None:
        raise wrong
    if kind == "team":
        team = db.session.get(Team, target_id)
        if team is None or not team.active:
            raise wrong
        return kind, team
    user = db.session.get(User, target_id)
    if user is None or not user.active:
        raise wrong
    if kind == "worker":
        if not user.has_role(*WORKER_ROLES) or user.station_id not in visible_station_ids(actor):
            raise wrong
        return kind, user
    return kind, user  # whether this volunteer may take it is console.assign's rule


def merge_target(actor: User, typed_code: str) -> HelpRequest | None:
    """The request a worker named by its code (dashes and case as typed), among the
    stations they read; None when there is none."""
    code = normalise_code(typed_code)
    stations = visible_station_ids(actor) or {-1}
    return db.session.scalar(
        select(HelpRequest).where(HelpRequest.code == code, HelpRequest.station_id.in_(stations))
    )
