"""What the rules weigh besides a prospect's own row, read from the database: who served
this person before (continuity) and everyone's claims by status (load, reliability)."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models import Claim, HelpRequest, ServiceRecord


def served_before(request: HelpRequest) -> tuple[set[int], set[int]]:
    """Volunteers and teams with a service record for this beneficiary or phone number."""
    clauses = []
    if request.beneficiary_id is not None:
        clauses.append(ServiceRecord.beneficiary_id == request.beneficiary_id)
    if request.contact_phone:
        earlier = select(HelpRequest.id).where(HelpRequest.contact_phone == request.contact_phone)
        if request.id is not None:
            earlier = earlier.where(HelpRequest.id != request.id)
        clauses.append(ServiceRecord.request_id.in_(earlier))
    if not clauses:
        return set(), set()
    rows = db.session.execute(
        select(ServiceRecord.volunteer_id, ServiceRecord.team_id).where(or_(*clauses)).distinct()
    ).all()
    users = {v for v, _t in rows if v is not None}
    teams = {t for _v, t in rows if t is not None}
    return users, teams


def claim_stats(
    user_ids: list[int], team_ids: list[int]
) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """Claims by status (one query): per volunteer, their own and those dispatched to them;
    per team, the team's."""
    users: dict[int, dict[str, int]] = {}
    teams: dict[int, dict[str, int]] = {}
    if not user_ids and not team_ids:
        return users, teams
    rows = db.session.execute(
        select(
            Claim.volunteer_id,
            Claim.team_id,
            Claim.dispatched_to_id,
            Claim.status,
            func.count(Claim.id),
        )
        .where(
            or_(
                and_(Claim.volunteer_id.in_(user_ids), Claim.team_id.is_(None)),
                Claim.dispatched_to_id.in_(user_ids),
                Claim.team_id.in_(team_ids),
            )
        )
        .group_by(Claim.volunteer_id, Claim.team_id, Claim.dispatched_to_id, Claim.status)
    ).all()
    wanted_users, wanted_teams = set(user_ids), set(team_ids)

    def add(table: dict, key: int, status: str, count: int) -> None:
        bucket = table.setdefault(key, {})
        bucket[status] = bucket.get(status, 0) + count

    for volunteer_id, team_id, dispatched_to_id, status, count in rows:
        if team_id is None and volunteer_id in wanted_users:
            add(users, volunteer_id, status, count)
        if dispatched_to_id in wanted_users:
            add(users, dispatched_to_id, status, count)
        if team_id in wanted_teams:
            add(teams, team_id, status, count)
    return users, teams


def open_claims_count(user_id: int) -> int:
    """Active claims a volunteer holds, their own or dispatched to them by a team."""
    return db.session.scalar(
        select(func.count(Claim.id)).where(
            Claim.status == "active",
            or_(
                and_(Claim.volunteer_id == user_id, Claim.team_id.is_(None)),
                Claim.dispatched_to_id == user_id,
            ),
        )
    )
