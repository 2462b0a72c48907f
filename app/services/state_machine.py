"""A first-wins state machine for any model with a status column, and first-wins places.

The request's life (``workflow.REQUEST_MACHINE``) is one machine; offers are another
(``offers.OFFER_MACHINE``); activities and wishes build theirs the same way::

    WISH_MACHINE = StateMachine(
        Wish,
        statuses={"open": _l("Open"), "promised": _l("Promised"), "given": _l("Given")},
        moves={
            "promise": Move({"open"}, "promised", _l("Promised by a donor")),
            "give": Move({"promised"}, "given", _l("Given")),
            "withdraw": Move({"promised"}, "open", _l("Promise withdrawn")),
        },
        stamps={"promised": "promised_at", "given": "given_at"},
        clears={"withdraw": ("promised_at", "donor_id")},
    )
    WISH_MACHINE.move(wish, "promise", values={"donor_id": donor.id})

**Moves are race-free.** ``move`` changes a stored object with one conditional
``UPDATE … SET status = :target, … WHERE <primary key> AND status = :source``: of two
people acting on one object at the same moment, only the statement that still finds the
status it read changes the row (``rowcount == 1``). On PostgreSQL (read committed) the
second UPDATE waits for the first's row lock and re-checks its WHERE against the row the
winner committed; on SQLite there is one writer at a time and the WHERE is read under the
write lock. The loser changes nothing and gets ``ChangedMeanwhile``; a move the table does
not allow from the status read gets ``MoveNotAllowed``. Both are ``ServiceError`` with a
translated message, so a route shows them as any other refusal. The other columns of the
move (``values``, the stamps, the clears) go in the same UPDATE, so they change only for
the winner. An object not yet flushed has nobody to race with: it is simply assigned.

**Places are race-free too.** ``take_place`` takes one of N places of a row (an activity's
sign-ups, a wish's donors) with ``UPDATE … SET taken = taken + 1 WHERE id = :id AND
taken + 1 <= capacity``, for the same reasons: with 5 places and 20 people at once,
exactly 5 statements change the row. ``give_back_place`` frees one. A machine can then
move the row to a "full" status when ``taken`` reached ``capacity``.

Like every service this flushes and never commits: the caller's boundary commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, or_, true, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models.base import utcnow
from app.services import ServiceError

M = TypeVar("M")

# The wording when a machine gives none of its own: "%(status)s" is the status label,
# "%(action)s" the move's verb (its label when it has none).
REFUSED = _l("It is “%(status)s” now: “%(action)s” is not possible.")
CHANGED = _l("Someone else changed this just now. Reload the page and try again.")


class MoveNotAllowed(ServiceError):
    """The move table has no such move from the object's status (or no such action)."""


class ChangedMeanwhile(ServiceError):
    """The status was changed by someone else after the object was read: they won."""


@dataclass(frozen=True, init=False)
class Move:
    """One row of a move table: from any of ``sources`` to ``target``, shown as ``label``
    on a timeline ("Accepted"); ``verb`` names it in a refusal ("accept it"), and is the
    label when not given."""

    sources: frozenset[str]
    target: str
    label: object
    verb: object

    def __init__(
        self, sources: Iterable[str], target: str, label: object, verb: object = None
    ) -> None:
        object.__setattr__(self, "sources", frozenset(sources))
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "verb", label if verb is None else verb)


@dataclass(frozen=True)
class Moved:
    """What a move did: the caller writes its timeline line from it."""

    action: str
    source: str
    target: str
    at: datetime


class StateMachine(Generic[M]):
    """The move table of one model and the race-free way to follow it.

    ``statuses`` maps each status to its label (for messages); ``status`` names the status
    column; ``stamps`` maps a target status to a timestamp column set on reaching it (when
    still empty); ``clears`` maps an action to the columns it empties (a move that undoes
    part of the way); ``on_move(obj, moved)`` runs after every move, in the same
    transaction, for what must always follow (ending claims when a request closes).
    ``refused`` and ``changed`` are the machine's own wording of the two refusals;
    ``clock`` tells the time of a move (asked at each move, so a clock patched for
    backdating applies).
    """

    def __init__(
        self,
        model: type[M],
        *,
        moves: Mapping[str, Move],
        statuses: Mapping[str, object] | None = None,
        status: str = "status",
        stamps: Mapping[str, str] | None = None,
        clears: Mapping[str, Iterable[str]] | None = None,
        on_move: Callable[[M, Moved], None] | None = None,
        refused: object = REFUSED,
        changed: object = CHANGED,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.model = model
        self.moves = dict(moves)
        self.statuses = dict(statuses or {})
        self.status = status
        self.stamps = dict(stamps or {})
        self.clears = {action: tuple(columns) for action, columns in (clears or {}).items()}
        self.on_move = on_move
        self.refused = refused
        self.changed = changed
        self.clock = clock
        self._check_table()

    # --- asking -------------------------------------------------------------------------

    def status_label(self, status: str) -> str:
        return str(self.statuses.get(status, status))

    def can(self, obj: M, action: str) -> bool:
        move = self.moves.get(action)
        return move is not None and getattr(obj, self.status) in move.sources

    def allowed_actions(self, obj: M) -> list[str]:
        status = getattr(obj, self.status)
        return [name for name, move in self.moves.items() if status in move.sources]

    # --- moving -------------------------------------------------------------------------

    def move(self, obj: M, action: str, *, values: Mapping[str, Any] | None = None) -> Moved:
        """Move ``obj`` by ``action`` or raise (``MoveNotAllowed``, ``ChangedMeanwhile``),
        changing nothing. ``values`` are other columns set with the status, for the
        winner only (who the request is assigned to, who promised the wish)."""
        move = self.moves.get(action)
        if move is None:
            raise MoveNotAllowed(_("Unknown action."))
        source = getattr(obj, self.status)
        if source not in move.sources:
            raise MoveNotAllowed(
                str(self.refused) % {"status": self.status_label(source), "action": str(move.verb)}
            )
        now = (self.clock or utcnow)()
        self._write(obj, source, self._changes(obj, action, move.target, values or {}, now))
        moved = Moved(action=action, source=source, target=move.target, at=now)
        if self.on_move is not None:
            self.on_move(obj, moved)
        return moved

    def try_move(
        self, obj: M, action: str, *, values: Mapping[str, Any] | None = None
    ) -> Moved | None:
        """``move``, or None when the move is not allowed or someone else won: for jobs and
        loops that simply leave such an object alone. An unknown action still raises."""
        if action not in self.moves:
            raise KeyError(action)
        try:
            return self.move(obj, action, values=values)
        except (MoveNotAllowed, ChangedMeanwhile):
            return None

    # --- internals ----------------------------------------------------------------------

    def _changes(
        self, obj: M, action: str, target: str, values: Mapping[str, Any], now: datetime
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {self.status: target, **values}
        for column in self.clears.get(action, ()):
            changes[column] = None
        stamp = self.stamps.get(target)
        if stamp and changes.get(stamp, getattr(obj, stamp)) is None:
            changes[stamp] = now
        return changes

    def _write(self, obj: M, source: str, changes: dict[str, Any]) -> None:
        state = inspect(obj)
        if state.identity is None:  # not stored yet: nobody else can have changed it
            for column, value in changes.items():
                setattr(obj, column, value)
            return
        mapper = inspect(self.model)
        where = [
            column == key for column, key in zip(mapper.primary_key, state.identity, strict=True)
        ]
        moved = db.session.execute(
            update(self.model)
            .where(*where, getattr(self.model, self.status) == source)
            .values(**changes)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            db.session.expire(obj)  # stale: the next read sees what won
            raise ChangedMeanwhile(str(self.changed))
        for column, value in changes.items():
            set_committed_value(obj, column, value)

    def _check_table(self) -> None:
        """A typo in a table is a bug found at import, not a refusal found by a user."""
        columns = {self.status, *self.stamps.values()}
        columns.update(c for cleared in self.clears.values() for c in cleared)
        missing = sorted(c for c in columns if not hasattr(self.model, c))
        unknown = sorted(set(self.clears) - set(self.moves))
        if self.statuses:
            named = {s for m in self.moves.values() for s in (*m.sources, m.target)}
            unknown += sorted((named | set(self.stamps)) - set(self.statuses))
        if missing or unknown:
            raise ValueError(
                f"{self.model.__name__} machine: no column {missing}, unknown {unknown}"
            )


# --- first wins, up to a capacity ------------------------------------------------------------


def take_place(
    model: type, id: Any, counter: str, capacity: str | int | None, *, places: int = 1
) -> bool:
    """Take ``places`` of the row ``id``'s places: True for each caller that got them.

    One ``UPDATE model SET counter = counter + places WHERE id = :id AND counter + places
    <= capacity`` (see the module's note on why that is race-free). ``capacity`` is the
    name of a column (a NULL there means no limit) or a number. A caller that gets False
    changed nothing: the places were all taken. The object in this session, if loaded,
    reads the stored count again on its next use."""
    if places < 1:
        raise ValueError("places must be at least 1")
    taken = getattr(model, counter)
    if isinstance(capacity, str):
        limit = getattr(model, capacity)
        room = or_(limit.is_(None), taken + places <= limit)
    elif capacity is None:
        room = true()
    else:
        room = taken + places <= capacity
    return _change_count(model, id, counter, taken + places, room)


def give_back_place(model: type, id: Any, counter: str, *, places: int = 1) -> bool:
    """Free ``places`` taken with ``take_place``: the count never goes below zero."""
    if places < 1:
        raise ValueError("places must be at least 1")
    taken = getattr(model, counter)
    return _change_count(model, id, counter, taken - places, taken >= places)


def _change_count(model: type, id: Any, counter: str, new_count, room) -> bool:
    [key] = inspect(model).primary_key
    changed = db.session.execute(
        update(model)
        .where(key == id, room)
        .values({counter: new_count})
        .execution_options(synchronize_session=False)
    ).rowcount
    loaded = db.session.identity_map.get(db.session.identity_key(model, id))
    if loaded is not None:
        db.session.expire(loaded, [counter])
    return changed == 1
