"""Who may see what: the station scopes every staff query uses (read and act), given the
user as an argument. The web-only guard (``role_required``) is in app/blueprints/guards.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from sqlalchemy import Select, String, cast, event, func, literal_column, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Station, StationTreeStamp, User
from app.services import workflow

_CACHE = "linli_access"


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, *_args) -> None:
    session.info.pop(_CACHE, None)


class StationTree:
    """Which stations sit below which: built once per shape of the tree and shared by every
    request that reads the same tree (``_tree_from_text``), with the stations below each
    root worked out once."""

    def __init__(self, pairs: list[tuple[int, int | None]]):
        self.children: dict[int | None, list[int]] = {}
        for station_id, parent_id in pairs:
            self.children.setdefault(parent_id, []).append(station_id)
        self._below: dict[int, frozenset[int]] = {}

    def below(self, root_id: int) -> frozenset[int]:
        """``root_id`` and every station under it."""
        found = self._below.get(root_id)
        if found is None:
            found = self._below[root_id] = frozenset(self._walk_down(root_id))
        return found

    def _walk_down(self, root_id: int) -> set[int]:
        found, stack = set(), [root_id]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(self.children.get(current, []))
        return found


# The separator of aggregate_strings written into the SQL text: given as a plain string,
# it is a "literal execute" parameter that SQLAlchemy renders into the statement at every
# execution (of the statement of every signed-in page, app/security.py). The tree's other
# constants are written in likewise: that statement sends the user's id and nothing else.
COMMA = literal_column("','")


def station_tree_text():
    """The whole station tree as one text, ``"id:parent,id:parent,..."``: read when this
    process has not read the tree of the current stamp (``_read_station_tree``); the text
    is the key under which its parsed form is kept (``_tree_from_text``)."""
    rows = select(Station.id, Station.parent_id).order_by(Station.id).subquery()
    pair = (
        cast(rows.c.id, String)
        + literal_column("':'")
        + func.coalesce(cast(rows.c.parent_id, String), literal_column("''"))
    )
    return select(func.aggregate_strings(pair, COMMA)).scalar_subquery()


def station_tree_stamp():
    """The stamp of the station tree as it stands (None without the stamp's row): a column
    the signed-in user's statement reads too (app/security.py). It changes in the
    transaction that changes the tree (database triggers, ``StationTreeStamp``), so a
    tree kept under it is never stale."""
    return (
        select(StationTreeStamp.stamp)
        .where(StationTreeStamp.id == literal_column("1"))
        .scalar_subquery()
    )


@lru_cache(maxsize=8)
def _tree_from_text(text: str) -> StationTree:
    """The tree a text describes; the same text, the same (immutable) tree."""
    pairs = []
    for item in filter(None, text.split(",")):
        station_id, parent_id = item.split(":")
        pairs.append((int(station_id), int(parent_id) if parent_id else None))
    return StationTree(pairs)


# The trees this process has read, by database and stamp (a few: a new stamp is rare).
KEPT_TREES = 8
_kept_trees: dict[tuple[object, int], StationTree] = {}


def remember_station_tree(stamp: int | None) -> None:
    """The tree of this stamp (read with the signed-in user) for the rest of this unit of
    work, when this process has it already; else it is read when first needed (a
    volunteer's pages never need it)."""
    if stamp is None:
        return
    tree = _kept_trees.get((db.session.get_bind(), stamp))
    if tree is not None:
        db.session.info.setdefault(_CACHE, {})["tree"] = tree


def _station_tree() -> StationTree:
    """The station tree of this unit of work: the one remembered with the signed-in user,
    else the one kept for the current stamp, else read now (once per unit of work, as
    pages ask often)."""
    return _cached("tree", _read_station_tree)


def _read_station_tree() -> StationTree:
    database = db.session.get_bind()
    stamp = db.session.scalar(select(station_tree_stamp()))
    kept = _kept_trees.get((database, stamp)) if stamp is not None else None
    if kept is not None:
        return kept
    # The stamp again with the text: both as of one moment.
    stamp, text = db.session.execute(select(station_tree_stamp(), station_tree_text())).one()
    tree = _tree_from_text(text or "")
    if stamp is not None:
        if len(_kept_trees) >= KEPT_TREES:
            _kept_trees.clear()
        _kept_trees[(database, stamp)] = tree
    return tree


def descendant_station_ids(root_id: int) -> frozenset[int]:
    """A station and every station below it (rooms under a township, all under a county)."""
    return _station_tree().below(root_id)


STAFF_ROLES = ("social_worker", "station_admin")


def _is_staff(user: User | None) -> bool:
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.station_id is not None
        and user.has_role(*STAFF_ROLES)
    )


def _cached(key: str, compute: Callable):
    """``compute()`` once per unit of work (pages ask often): the cache lives on the
    database session and is forgotten whenever it writes or its transaction ends, so it
    never outlives the web request or the job's unit that filled it."""
    cache = db.session.info.setdefault(_CACHE, {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def county_root_id(station_id: int) -> int:
    """The county centre above ``station_id`` (the station itself when it is the centre)."""
    station = db.session.get(Station, station_id)
    root = station
    while root is not None and root.parent_id is not None and root.kind != "county_centre":
        root = root.parent
    return root.id if root else station_id


def is_centre_staff(user: User | None) -> bool:
    """A social worker or admin based at the county centre (not the supervisor's role)."""
    if not _is_staff(user):
        return False
    station = user.station  # loaded with the signed-in user (security.load_user)
    return station is not None and station.kind == "county_centre"


def _staffed_station_ids(among: frozenset[int]) -> set[int]:
    """Which of the stations ``among`` have an active social worker or admin of their own.
    Asked for one county's stations: read for the whole province, every county centre
    worker's page read every active worker's station (3,000 rows at 3,000 staffed
    stations, about 1.8 ms a page)."""
    from app.services.matching.statements import arrays, values

    if not among:
        return set()
    statement = _staffed_statement(arrays())
    return set(db.session.scalars(statement, {"among": values(sorted(among))}))


@lru_cache(maxsize=2)
def _staffed_statement(arrays: bool):
    """Built once per database; the stations go as one list parameter (``one_of``), so
    one statement serves every county's number of stations."""
    from app.models import UserRole
    from app.services.matching.statements import one_of

    return (
        select(User.station_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.active.is_(True),
            one_of(User.station_id, "among", arrays),
            UserRole.role.in_([literal_column(f"'{role}'") for role in STAFF_ROLES]),
        )
        .distinct()
    )


def _centre_acting_ids(centre_id: int) -> set[int]:
    """The centre itself and the stations below it that no worker of their own covers (a
    township without staff, its rooms without staff): the centre stands in for them, as
    their alerts already go up to it. A staffed station covers its rooms."""
    tree = _station_tree()
    children = tree.children
    staffed = _staffed_station_ids(tree.below(centre_id) - {centre_id})
    found, stack = {centre_id}, list(children.get(centre_id, []))
    while stack:
        current = stack.pop()
        if current in staffed or current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def visible_station_ids(user: User) -> set[int]:
    """The stations whose requests ``user`` may read (lists, request pages, SMS pages).

    A worker or admin reads their station and its rooms; a worker based in a room reads
    the room only; the county supervisor and the county centre's workers read every
    station of the county (masked where they do not serve: see ``acting_station_ids``).
    Anybody else reads none.
    """
    if user is None or not getattr(user, "is_authenticated", False) or user.station_id is None:
        return set()
    if not user.has_role("social_worker", "station_admin", "county_supervisor"):
        return set()
    if user.has_role("county_supervisor") or is_centre_staff(user):
        return descendant_station_ids(county_root_id(user.station_id))
    return descendant_station_ids(user.station_id)


def acting_station_ids(user: User) -> set[int]:
    """The stations whose work ``user`` does as their own: requests, the ledger, volunteers
    and teams, with full phones and minors' names.

    A township station's workers: their station and its rooms (the rooms are its
    outposts). The county centre's workers: the centre, and the stations no worker of
    their own covers; the rest of the county they read masked, and act only on what is
    escalated (``may_act_on_request``). Least privilege (DESIGN.md, privacy).
    """
    if not _is_staff(user):
        return set()
    if is_centre_staff(user):
        # The centre's answer, whichever of its workers asks (a page may list them all).
        return _cached(f"acting:{user.station_id}", lambda: _centre_acting_ids(user.station_id))
    return descendant_station_ids(user.station_id)


def may_act_on_request(user: User, request) -> bool:
    """May ``user`` act on (and read unmasked) this help request?

    Their own stations' requests; for the county centre's workers also the open requests
    escalated to the county."""
    if request is None or not _is_staff(user):
        return False
    if request.station_id in acting_station_ids(user):
        return True
    return is_centre_staff(user) and escalated_in_sight(user, request)


def requests_to_act_on(user: User, requests: Iterable) -> list:
    """Those of ``requests`` that ``user`` may act on (``may_act_on_request`` for a list:
    the reader's stations worked out once, not once a line)."""
    requests = [r for r in requests if r is not None]
    if not requests or not _is_staff(user):
        return []
    acting = acting_station_ids(user)
    centre = is_centre_staff(user)
    return [
        r for r in requests if r.station_id in acting or (centre and escalated_in_sight(user, r))
    ]


def escalated_in_sight(user: User, request) -> bool:
    """An open request escalated to the county, of a station ``user`` reads."""
    return (
        bool(request.escalated)
        and request.status in workflow.OPEN_STATUSES
        and request.station_id in visible_station_ids(user)
    )


def scope_to_stations(query: Select, column, user: User) -> Select:
    """Restrict ``query`` to rows whose ``column`` (a station id) the user may read."""
    ids = visible_station_ids(user)
    return query.where(column.in_(ids or [-1]))


def scope_to_acting_stations(query: Select, column, user: User) -> Select:
    """Restrict ``query`` to rows whose ``column`` (a station id) the user works on."""
    ids = acting_station_ids(user)
    return query.where(column.in_(ids or [-1]))


def can_see_station(user: User, station_id: int | None) -> bool:
    return station_id is not None and station_id in visible_station_ids(user)


def is_serving_worker(user: User, station_id: int | None) -> bool:
    """Full phone numbers and minors' names: only the serving station's own workers."""
    return station_id is not None and station_id in acting_station_ids(user)
