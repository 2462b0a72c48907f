"""Views marked ``reads_only`` run without a transaction of their own (no BEGIN, no COMMIT:
two round trips of a list page's five, issue 17). Each marked view must only read, every
other view keeps its one transaction, and a connection lent to a marked view goes back to
the pool as it came: the next request, which may write, is one unit of work again."""

from contextlib import contextmanager
from datetime import timedelta

import pytest

from app.blueprints.transaction import READS_ONLY
from app.extensions import db
from tests import factories
from tests.statements_support import each_statement
from tests.volunteer_support import fast_passwords, north_of, sign_in, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

# Every view marked reads_only, each with a test below that runs it and reads what it sent.
MARKED = {"volunteer.tasks", "console.queue"}


def _in_transaction(connection) -> bool:
    """Whether the driver wraps this connection's statements in a transaction it opens."""
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        return not driver.autocommit
    return driver.isolation_level is not None  # pysqlite's autocommit: None


@contextmanager
def sent_statements(app):
    """Each statement sent, with whether the driver opened a transaction for it."""
    sent: list[tuple[str, bool]] = []

    def record(conn, _cursor, statement, _parameters, _context, _executemany):
        sent.append((" ".join(statement.split()), _in_transaction(conn)))

    with each_statement(app, record):
        yield sent


def test_the_marked_views_are_the_ones_tested_here(app):
    marked = {name for name, view in app.view_functions.items() if getattr(view, READS_ONLY, 0)}
    assert marked == MARKED


def _volunteer_with_tasks(world):
    volunteer = volunteer_near(world, 0, radius_km=10)
    a1 = world.village_a1
    for i in range(3):
        factories.make_request(
            world.station_a, status="offered", village=a1, **north_of(a1, 0.2 + i * 0.1)
        )
    db.session.commit()
    return volunteer


@pytest.mark.parametrize("htmx", [False, True])
def test_nearby_tasks_only_read_and_open_no_transaction(app, client, world, htmx):
    sign_in(client, _volunteer_with_tasks(world))
    headers = {"HX-Request": "true"} if htmx else {}
    with sent_statements(app) as sent:
        response = client.get("/v/tasks", headers=headers)
    assert response.status_code == 200 and response.text.count("task-item") == 3
    assert sent, "the page read nothing"
    for statement, in_transaction in sent:
        assert statement.upper().startswith(("SELECT", "WITH")), statement
        assert " FOR UPDATE" not in statement.upper(), statement
        assert not in_transaction, statement


def _queue_for_worker(client, world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    for minutes in (5, 50, 500):
        factories.make_request(world.station_a, created_ago=timedelta(minutes=minutes))
    db.session.commit()
    sign_in(client, worker)


@pytest.mark.parametrize("path", ["/station/", "/station/?tab=overdue&page=2", "/station/?tab=x"])
@pytest.mark.parametrize("htmx", [False, True])
def test_the_queue_only_reads_and_opens_no_transaction(app, client, world, htmx, path):
    """The triage queue and its htmx refresh, every tab and page (an unknown tab shows the
    first): on PostgreSQL its statement then runs on the pool kept to generic plans
    (app/generic_plans.py), also without a transaction."""
    _queue_for_worker(client, world)
    headers = {"HX-Request": "true"} if htmx else {}
    with sent_statements(app) as sent:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    if path == "/station/":
        assert response.text.count('class="list-item queue-item') == 3
    assert sent, "the page read nothing"
    for statement, in_transaction in sent:
        assert statement.upper().startswith(("SELECT", "WITH")), statement
        assert " FOR UPDATE" not in statement.upper(), statement
        assert not in_transaction, statement


def test_an_unmarked_page_and_the_next_request_keep_their_transaction(app, client, world):
    """A child's request's page (not marked: it writes the access-log line) runs in a transaction;
    so does a request after a marked one on the same pooled connection (the volunteer's own
    tasks page: any unmarked page may write, and must be one unit of work again)."""
    volunteer = _volunteer_with_tasks(world)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    request = factories.make_request(world.station_a, special_groups=["left_behind_child"])
    db.session.commit()
    sign_in(client, worker)
    assert client.get("/station/").status_code == 200  # marked: the connection goes back
    with sent_statements(app) as sent:
        assert client.get(f"/station/r/{request.id}").status_code == 200
    assert sent and all(in_transaction for _statement, in_transaction in sent)
    assert any(statement.upper().startswith("INSERT") for statement, _ in sent), sent

    sign_in(client, volunteer)
    assert client.get("/v/tasks").status_code == 200
    with sent_statements(app) as sent:
        client.get("/v/mine")
    assert sent and all(in_transaction for _statement, in_transaction in sent), sent


def test_a_failing_marked_view_leaves_nothing_open(app, client, world, monkeypatch):
    """An error in a marked view: the page is an error page, and the pooled connection is
    back to one transaction per unit of work for the next request."""
    from app.services import volunteers

    volunteer = _volunteer_with_tasks(world)
    sign_in(client, volunteer)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the search broke")

    monkeypatch.setattr(volunteers, "nearby_tasks", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # the error page
    assert client.get("/v/tasks").status_code == 500
    monkeypatch.undo()  # the search and the setting as they were
    with sent_statements(app) as sent:
        assert client.get("/v/mine").status_code == 200
    assert sent and all(in_transaction for _statement, in_transaction in sent)
