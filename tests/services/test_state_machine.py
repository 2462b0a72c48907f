"""The reusable first-wins state machine, on a model of its own that only these tests have.

An "outing" is a small activity with places: drafted, opened for sign-up, full, closed.
Its table lives in a metadata of its own (created here, dropped after), so the app's
tables and the other tests never see it.
"""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import Integer, MetaData, String, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.extensions import db
from app.services import ServiceError
from app.services.state_machine import (
    ChangedMeanwhile,
    Move,
    Moved,
    MoveNotAllowed,
    StateMachine,
    give_back_place,
    take_place,
)

REFUSED = "当前为“draft”，现在不能“close it”。"
CHANGED = "刚才有人改动了这里。请刷新页面后再试。"


class _TestBase(DeclarativeBase):
    metadata = MetaData()


class Outing(_TestBase):
    __tablename__ = "test_state_machine_outing"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not called "status": the machine is told which column holds the state.
    phase: Mapped[str] = mapped_column(String(12), default="draft")
    organiser: Mapped[str] = mapped_column(String(40), default="")
    taken: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


MOVED: list[tuple[int, Moved]] = []

MACHINE: StateMachine[Outing] = StateMachine(
    Outing,
    status="phase",
    # Plain labels: the test's own words need no translation; the sentences around them do.
    statuses={"draft": "draft", "open": "open", "full": "full", "closed": "closed"},
    moves={
        "open": Move({"draft"}, "open", "open it"),
        "fill": Move({"open"}, "full", "fill it"),
        "close": Move({"open", "full"}, "closed", "close it"),
        "reopen": Move({"closed"}, "open", "reopen it"),
    },
    stamps={"open": "opened_at", "closed": "closed_at"},
    clears={"reopen": ("closed_at",)},
    on_move=lambda outing, moved: MOVED.append((outing.id, moved)),
)


@pytest.fixture
def outings(app):
    Outing.__table__.create(bind=db.engine)
    MOVED.clear()
    yield
    db.session.remove()  # no open transaction may hold the table while it is dropped
    Outing.__table__.drop(bind=db.engine)


def make_outing(phase: str = "draft", **values) -> Outing:
    outing = Outing(phase=phase, **values)
    db.session.add(outing)
    db.session.commit()
    return outing


def stored(outing_id: int) -> tuple:
    row = db.session.execute(
        select(Outing.phase, Outing.organiser, Outing.taken, Outing.opened_at, Outing.closed_at)
        .where(Outing.id == outing_id)
        .execution_options(populate_existing=True)
    ).one()
    return tuple(row)


# --- the move table -----------------------------------------------------------------------


@pytest.mark.usefixtures("outings")
def test_an_allowed_move_stores_the_status_its_values_and_its_stamp():
    outing = make_outing()
    assert MACHINE.can(outing, "open") and not MACHINE.can(outing, "fill")
    assert MACHINE.allowed_actions(outing) == ["open"]
    moved = MACHINE.move(outing, "open", values={"organiser": "王阿姨"})
    db.session.commit()
    assert (moved.action, moved.source, moved.target) == ("open", "draft", "open")
    assert (outing.phase, outing.organiser, outing.opened_at) == ("open", "王阿姨", moved.at)
    assert stored(outing.id) == ("open", "王阿姨", 0, moved.at, None)
    assert MOVED == [(outing.id, moved)]
    assert MACHINE.allowed_actions(outing) == ["fill", "close"]


@pytest.mark.usefixtures("outings")
def test_a_stamp_is_kept_and_a_clear_empties_it():
    outing = make_outing()
    opened = MACHINE.move(outing, "open").at
    closed = MACHINE.move(outing, "close").at
    assert stored(outing.id)[3:] == (opened, closed)
    MACHINE.move(outing, "reopen")
    db.session.commit()
    # Reopened: still opened when it first was, no longer closed.
    assert stored(outing.id) == ("open", "", 0, opened, None)
    assert [m.action for _id, m in MOVED] == ["open", "close", "reopen"]


@pytest.mark.usefixtures("outings")
def test_a_move_the_table_does_not_allow_is_refused_and_changes_nothing():
    outing = make_outing()
    with pytest.raises(MoveNotAllowed) as refused:
        MACHINE.move(outing, "close", values={"organiser": "李师傅"})
    assert refused.value.message == REFUSED
    assert isinstance(refused.value, ServiceError)
    with pytest.raises(MoveNotAllowed) as unknown:
        MACHINE.move(outing, "teleport")
    assert unknown.value.message == "未知操作。"
    assert MACHINE.try_move(outing, "close") is None
    db.session.commit()
    assert stored(outing.id) == ("draft", "", 0, None, None)
    assert MOVED == []


@pytest.mark.usefixtures("outings")
def test_the_conditional_update_loses_to_a_change_made_meanwhile():
    outing = make_outing("open")
    # Someone else closes it in their own transaction; our copy still says "open".
    db.session.execute(
        update(Outing)
        .where(Outing.id == outing.id)
        .values(phase="closed", organiser="别人")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert outing.phase == "open"
    with pytest.raises(ChangedMeanwhile) as lost:
        MACHINE.move(outing, "fill", values={"organiser": "我"})
    assert lost.value.message == CHANGED
    db.session.rollback()
    assert (outing.phase, outing.organiser) == ("closed", "别人")  # reads what won
    assert stored(outing.id) == ("closed", "别人", 0, None, None)
    assert MOVED == []
    # A job that leaves such objects alone asks with try_move.
    assert MACHINE.try_move(outing, "fill") is None


@pytest.mark.usefixtures("outings")
def test_an_object_not_stored_yet_is_simply_assigned():
    outing = Outing(phase="draft")
    db.session.add(outing)
    moved = MACHINE.move(outing, "open")
    assert (outing.phase, outing.opened_at) == ("open", moved.at)
    db.session.commit()
    assert stored(outing.id) == ("open", "", 0, moved.at, None)


def test_a_table_naming_a_missing_column_or_status_fails_at_once():
    with pytest.raises(ValueError) as typo:
        StateMachine(
            Outing,
            status="phase",
            statuses={"draft": "draft", "open": "open"},
            moves={"open": Move({"draft"}, "opne", "open")},
            stamps={"open": "opend_at"},
        )
    assert str(typo.value) == "Outing machine: no column ['opend_at'], unknown ['opne']"


# --- first wins, up to a capacity ------------------------------------------------------------


@pytest.mark.usefixtures("outings")
def test_places_are_taken_up_to_the_capacity_and_given_back():
    outing = make_outing("open", capacity=2)
    assert outing.taken == 0
    taken = [take_place(Outing, outing.id, "taken", "capacity") for _ in range(3)]
    assert taken == [True, True, False]
    assert outing.taken == 2  # the loaded copy reads the stored count again
    assert take_place(Outing, outing.id, "taken", "capacity", places=2) is False
    assert give_back_place(Outing, outing.id, "taken") is True
    assert take_place(Outing, outing.id, "taken", "capacity", places=2) is False
    assert take_place(Outing, outing.id, "taken", "capacity") is True
    assert give_back_place(Outing, outing.id, "taken", places=3) is False
    db.session.commit()
    assert stored(outing.id)[2] == 2


@pytest.mark.usefixtures("outings")
def test_no_capacity_means_no_limit_and_a_number_is_a_fixed_limit():
    unlimited = make_outing("open", capacity=None)
    assert all(take_place(Outing, unlimited.id, "taken", "capacity") for _ in range(30))
    assert take_place(Outing, unlimited.id, "taken", None) is True
    fixed = make_outing("open", capacity=None)
    assert [take_place(Outing, fixed.id, "taken", 1) for _ in range(2)] == [True, False]
    db.session.commit()
    assert (stored(unlimited.id)[2], stored(fixed.id)[2]) == (31, 1)
    with pytest.raises(ValueError):
        take_place(Outing, fixed.id, "taken", 1, places=0)


@pytest.mark.usefixtures("outings")
def test_twenty_people_race_for_five_places_and_exactly_five_get_one(app, backend):
    """Each thread has its own app context, session and connection, as a web request does.
    Whoever takes the last place moves the outing to "full": exactly one does."""
    outing_id = make_outing("open", capacity=5).id
    db.session.remove()
    people = 20
    barrier = threading.Barrier(people)
    results: dict[int, str] = {}

    def sign_up(person: int) -> None:
        with app.app_context():
            try:
                outing = db.session.get(Outing, outing_id)
                db.session.commit()  # give the connection back until the race starts
                barrier.wait(timeout=60)
                if not take_place(Outing, outing_id, "taken", "capacity"):
                    db.session.rollback()
                    results[person] = "full"
                    return
                outcome = "place"
                if outing.taken == outing.capacity and MACHINE.try_move(outing, "fill"):
                    outcome = "place, filled"
                db.session.commit()
                results[person] = outcome
            except Exception as error:  # noqa: BLE001 - any other error fails the test below
                db.session.rollback()
                results[person] = f"error: {type(error).__name__}: {error}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    outcomes = sorted(results.values())
    assert outcomes == ["full"] * 15 + ["place"] * 4 + ["place, filled"], backend
    assert stored(outing_id)[:3] == ("full", "", 5)
    assert [m.action for _id, m in MOVED] == ["fill"]


@pytest.mark.usefixtures("outings")
def test_a_machine_with_its_own_clock_stamps_its_time():
    """The demo builds its past by backdating the clock of the request machine."""
    then = datetime(2026, 3, 1, 9, 30)
    clocked = StateMachine(
        Outing, status="phase", moves=MACHINE.moves, stamps=MACHINE.stamps, clock=lambda: then
    )
    outing = make_outing()
    assert clocked.move(outing, "open").at == then
    db.session.commit()
    assert stored(outing.id) == ("open", "", 0, then, None)
