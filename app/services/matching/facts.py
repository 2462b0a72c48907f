"""What the rules weigh besides a prospect's own row, read from the database: who served
this person before (continuity: read within the pre-filter's statement) and everyone's
claims by status (load, reliability: on PostgreSQL read within the pre-filter's statement
too, ``prefilter.claims_inline``; on SQLite by ``claim_stats``)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import and_, bindparam, func, or_, select

from app.extensions import db
from app.models import Claim, HelpRequest, ServiceRecord
from app.services.matching.statements import built_once, one_of, rows, values


@cache
def served_where(variant: tuple[bool, bool, bool]):
    """Which service records are of this beneficiary or phone number (``served_variant``
    says which clause fits a request): the pre-filter reads them in its own statement."""
    by_person, by_phone, skip_request = variant
    clauses = []
    if by_person:
        clauses.append(ServiceRecord.beneficiary_id == bindparam("beneficiary_id"))
    if by_phone:
        earlier = select(HelpRequest.id).where(HelpRequest.contact_phone == bindparam("phone"))
        if skip_request:
            earlier = earlier.where(HelpRequest.id != bindparam("request_id"))
        clauses.append(ServiceRecord.request_id.in_(earlier))
    return or_(*clauses)


def served_variant(request: HelpRequest) -> tuple[tuple[bool, bool, bool] | None, dict]:
    """Which ``served_where`` fits ``request`` (None: nobody can have served it before,
    it names neither a beneficiary nor a phone number), and its parameters."""
    by_person = request.beneficiary_id is not None
    by_phone = bool(request.contact_phone)
    if not by_person and not by_phone:
        return None, {}
    params = {
        "beneficiary_id": request.beneficiary_id,
        "phone": request.contact_phone,
        "request_id": request.id,
    }
    return (by_person, by_phone, by_phone and request.id is not None), params


@built_once
def _claim_stats_statement(arrays: bool):
    return (
        select(
            Claim.volunteer_id,
            Claim.team_id,
            Claim.dispatched_to_id,
            Claim.status,
            func.count(Claim.id),
        )
        .where(
            or_(
                and_(
                    one_of(Claim.volunteer_id, "user_ids", arrays),
                    Claim.team_id.is_(None),
                ),
                one_of(Claim.dispatched_to_id, "user_ids", arrays),
                one_of(Claim.team_id, "team_ids", arrays),
            )
        )
        .group_by(Claim.volunteer_id, Claim.team_id, Claim.dispatched_to_id, Claim.status)
    )


def claim_stats(
    user_ids: list[int], team_ids: list[int]
) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """Claims by status (one query): per volunteer, their own and those dispatched to them
    (a claim both is counted once); per team, the team's. On SQLite: on PostgreSQL the
    pre-filter's statement reads them (``prefilter.claims_inline``)."""
    users: dict[int, dict[str, int]] = {}
    teams: dict[int, dict[str, int]] = {}
    if not user_ids and not team_ids:
        return users, teams
    found = rows(
        _claim_stats_statement(), {"user_ids": values(user_ids), "team_ids": values(team_ids)}
    )
    wanted_users, wanted_teams = set(user_ids), set(team_ids)

    def add(table: dict, key: int, status: str, count: int) -> None:
        bucket = table.setdefault(key, {})
        bucket[status] = bucket.get(status, 0) + count

    for volunteer_id, team_id, dispatched_to_id, status, count in found:
        own = team_id is None and volunteer_id in wanted_users
        if own:
            add(users, volunteer_id, status, count)
        if dispatched_to_id in wanted_users and not (own and dispatched_to_id == volunteer_id):
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
