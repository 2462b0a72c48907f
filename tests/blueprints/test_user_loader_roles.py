"""The signed-in user's roles are read as one text with the user (app/security.py), not
as the collection of role rows: whatever changes the roles in the same request must
still be what ``roles`` and ``has_role`` answer (a guard, the nav), never the text."""

from contextlib import contextmanager

from flask import session
from sqlalchemy import delete, event

from app.extensions import db
from app.models import UserRole
from app.security import SESSION_VERSION_KEY, load_user
from tests import factories


@contextmanager
def _signed_in(app, roles):
    """A request of a freshly signed-in user, loaded as every page loads it."""
    user = factories.make_user(roles=roles, station=None)
    db.session.commit()
    user_id, version = user.id, user.session_version
    db.session.remove()  # nothing of the user in the session: read as a request reads it
    with app.test_request_context("/"):
        session[SESSION_VERSION_KEY] = version
        loaded = load_user(str(user_id))
        assert loaded is not None
        yield loaded


def _load_counted(app, user) -> tuple[object, tuple, int]:
    """``user`` loaded as a page loads it, what the guards and the nav ask of it, and
    the statements all that took."""
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    db.session.commit()
    user_id, version = user.id, user.session_version
    db.session.remove()
    event.listen(engine, "before_cursor_execute", count)
    try:
        with app.test_request_context("/"):
            session[SESSION_VERSION_KEY] = version
            loaded = load_user(str(user_id))
            answers = (
                loaded.roles,
                loaded.has_role("station_admin"),
                loaded.is_staff,
                loaded.station.id if loaded.station else None,
                loaded.volunteer.status if loaded.volunteer else None,
                loaded.volunteer.user is loaded if loaded.volunteer else None,
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return loaded, answers, len(seen)


def test_a_worker_in_one_statement_without_the_role_rows(app, world):
    worker = factories.make_user(roles=("social_worker", "station_admin"), station=world.station_a)
    loaded, answers, statements = _load_counted(app, worker)
    roles = {"social_worker", "station_admin"}
    assert answers == (roles, True, True, world.station_a.id, None, None)
    assert "role_rows" not in loaded.__dict__  # the text answered: no rows built
    assert statements == 1


def test_a_volunteer_in_one_statement_with_the_profile(app, world):
    volunteer = factories.make_volunteer(station=world.station_b)
    _, answers, statements = _load_counted(app, volunteer)
    assert answers == ({"volunteer"}, False, False, world.station_b.id, "approved", True)
    assert statements == 1


def test_a_user_of_no_station_in_one_statement(app, world):
    _, answers, statements = _load_counted(app, factories.make_user(roles=("volunteer",)))
    assert (answers, statements) == (({"volunteer"}, False, False, None, None, None), 1)


def test_a_user_without_roles_has_none(app, world):
    with _signed_in(app, ()) as user:
        assert (user.roles, user.has_role("volunteer"), user.is_staff) == (set(), False, False)


def test_a_role_added_in_the_request_is_seen_at_once(app, world):
    with _signed_in(app, ("volunteer",)) as user:
        assert not user.has_role("team_leader")
        user.add_role("team_leader")
        assert user.roles == {"volunteer", "team_leader"}
        assert user.has_role("team_leader")
        user.add_role("team_leader")  # already there: no second row
        db.session.flush()
        assert [row.role for row in user.role_rows].count("team_leader") == 1


def test_a_role_removed_from_the_rows_is_gone_at_once(app, world):
    with _signed_in(app, ("social_worker", "station_admin")) as user:
        assert user.is_staff and user.has_role("station_admin")
        user.role_rows[:] = [row for row in user.role_rows if row.role != "station_admin"]
        assert user.roles == {"social_worker"}
        assert not user.has_role("station_admin")
        user.role_rows.clear()
        assert (user.roles, user.is_staff) == (set(), False)


def test_roles_deleted_in_the_database_are_read_again_after_an_expiry(app, world):
    with _signed_in(app, ("social_worker",)) as user:
        db.session.execute(delete(UserRole).where(UserRole.user_id == user.id))
        db.session.expire(user)  # as ``refresh`` and a rollback do
        assert (user.roles, user.is_staff) == (set(), False)


def test_a_rollback_forgets_the_roles_read(app, world):
    with _signed_in(app, ("social_worker",)) as user:
        user.add_role("station_admin")
        assert user.has_role("station_admin")
        db.session.rollback()
        assert user.roles == {"social_worker"}
