"""The triage queue's cost does not grow with the station's requests: the same statements
for 5 and for 60 requests, tab counts that stop at 99+, pages in the queue's order."""

from contextlib import contextmanager

import pytest
from sqlalchemy import text

from app.extensions import db
from app.services import console
from tests import factories
from tests.console_support import request_at
from tests.statements_support import each_statement


@contextmanager
def counted_statements(app):
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split())[:120])

    with each_statement(app, count):
        yield seen


def _busy(world, n: int) -> None:
    """``n`` requests of every kind a queue row shows: urgencies, a room, a village,
    escalated, overdue, special groups, other statuses."""
    urgencies = ("normal", "urgent", "crisis")
    for i in range(n):
        request_at(
            world.room_a1 if i % 4 == 0 else world.station_a,
            minutes_ago=5 + i * 37,
            urgency=urgencies[i % 3],
            village=world.village_a1 if i % 2 else None,
            escalated=i % 5 == 0,
            special_groups=["elderly_alone"] if i % 3 == 0 else [],
            status=("new", "new", "accepted", "offered", "done")[i % 5],
        )
    db.session.commit()


def _queue_statements(app, client, path="/station/") -> tuple[list[str], str]:
    client.get(path)  # warm: first-request work (translations, caches) is not the page's
    with counted_statements(app) as seen:
        page = client.get(path)
    assert page.status_code == 200
    return seen, page.get_data(as_text=True)


def test_the_queue_takes_the_same_few_statements_for_5_and_60_requests(
    app, client, world, login_as
):
    login_as("social_worker")
    _busy(world, 5)
    few, few_html = _queue_statements(app, client)
    _busy(world, 55)
    many, many_html = _queue_statements(app, client)
    assert few_html.count('class="list-item queue-item') == 2
    assert many_html.count('class="list-item queue-item') == 24
    # the signed-in user with roles, station, profile and the station tree; the page
    # with each line's undelivered-text flag and every tab's count (a page that only
    # reads: no transaction, and so no setting for its plan either; see below)
    assert len(few) == len(many) == 2, many
    for tab in ("escalated", "overdue", "offered"):
        seen, _html = _queue_statements(app, client, f"/station/?tab={tab}")
        assert len(seen) == 2, (tab, seen)
        assert ONE_PLAN not in seen, seen


ONE_PLAN = "SET LOCAL plan_cache_mode = force_generic_plan"


@contextmanager
def connections_used(app):
    """The PostgreSQL backend of each statement sent (0 on SQLite), the engine it was sent
    on, and its start."""
    used: list[tuple[int, object, str]] = []

    def note(conn, _cursor, statement, *_args):
        info = getattr(conn.connection.dbapi_connection, "info", None)  # psycopg's
        pid = info.backend_pid if info is not None else 0
        used.append((pid, conn.engine, " ".join(statement.split())[:60]))

    with each_statement(app, note):
        yield used


def test_the_queue_reads_on_its_generic_plan_and_nothing_else_does(app, client, world, login_as):
    """On PostgreSQL the queue's statement runs on its generic plan: at 1,000,000 requests
    PostgreSQL otherwise planned the 7 KB statement afresh at every view (5.3 ms of server
    CPU a view against 1.7). The page only reads, so the statement runs on a connection of
    the pool kept to generic plans (app/generic_plans.py); the app's own connections, which
    every other statement uses, keep PostgreSQL's own choice."""
    from app import generic_plans

    login_as("social_worker")
    _busy(world, 5)
    client.get("/station/")
    kept = generic_plans.engine()
    if db.engine.dialect.name != "postgresql":
        assert kept is None  # SQLite plans each statement afresh anyway
        return
    for _ in range(7):  # prepared by psycopg after five runs, planned by PostgreSQL after
        with connections_used(app) as used:
            assert client.get("/station/").status_code == 200
    (user_pid, user_engine, user_sql), (page_pid, page_engine, page_sql) = used
    assert user_engine is db.engine and user_sql.startswith('SELECT "user".id')
    assert page_engine is kept and page_sql.startswith("SELECT tab_counts.count_new")
    with kept.connect() as connection:
        pid, mode = connection.execute(
            text("SELECT pg_backend_pid(), current_setting('plan_cache_mode')")
        ).one()
        plans = connection.execute(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE 'SELECT tab_counts.count_new%'"
            )
        ).all()
    assert pid == page_pid and mode == "force_generic_plan"
    assert plans and all(generic > 0 and custom == 0 for generic, custom in plans), plans
    with app.app_context():
        pid, mode = db.session.execute(
            text("SELECT pg_backend_pid(), current_setting('plan_cache_mode')")
        ).one()
        db.session.rollback()
    assert pid == user_pid and mode == "auto"  # the app's own connection


def test_the_queue_read_inside_a_unit_of_work_sees_its_work(app, world, backend):
    """Called inside a unit of work (a transaction), the queue reads on the session's own
    connection: it sees the request the unit has sent and not yet committed. On PostgreSQL
    the setting for its plan is the transaction's alone, gone when it ends."""
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    db.session.commit()
    sent = request_at(world.station_a)  # flushed, not committed
    with connections_used(app) as used:
        page = console.queue_page(worker, "new")
    assert [line.id for line in page.lines] == [sent.id]
    assert {engine for _pid, engine, _sql in used} == {db.engine}
    statements = [sql for _pid, _engine, sql in used]
    assert (ONE_PLAN in statements) == (backend == "postgresql"), statements
    db.session.rollback()


def test_the_setting_inside_a_unit_of_work_ends_with_its_transaction(app, backend):
    """``SET LOCAL``: the connection goes back to the pool planning as PostgreSQL chooses."""
    from app import generic_plans

    if backend != "postgresql":
        pytest.skip("SET LOCAL and plan_cache_mode are PostgreSQL's")
    setting = text("SELECT current_setting('plan_cache_mode')")
    with db.engine.connect() as connection:
        with connection.begin() as transaction:
            assert generic_plans.rows(connection, setting, {})[0][0] == "force_generic_plan"
            transaction.commit()  # a rollback would undo a plain SET as well
        assert connection.execute(setting).scalar() == "auto"
        connection.rollback()


def test_tab_counts_stop_at_99_and_say_so(app, client, world, login_as):
    login_as("social_worker")
    for i in range(120):
        request_at(world.station_a, minutes_ago=5 + i)
    db.session.commit()
    first = client.get("/station/?tab=new").get_data(as_text=True)
    assert '<span class="count">99+</span>' in first
    assert "共 99+ 条" in first and "page=2" in first
    # The tab paged into is counted as far as its pager needs: the last page is exact.
    last = client.get("/station/?tab=new&page=5").get_data(as_text=True)
    assert "第 101–120 条，共 120 条" in last
    assert "page=6" not in last


def test_counts_below_the_cap_are_exact(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    for _ in range(7):
        request_at(world.station_a)
    request_at(world.station_a, status="offered", escalated=True)
    counts = console.counts(worker)
    assert counts["new"] == 7 and counts["offered"] == 1 and counts["escalated"] == 1
    assert console.count_text(counts)["new"] == "7"


def test_pages_follow_the_queue_order_across_the_workers_stations(world):
    """Each station's rows come off its own index: the merged pages are still most
    urgent first, then oldest, with no row twice and none left out."""
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    made = []
    for i in range(23):
        made.append(
            request_at(
                (world.station_a, world.room_a1)[i % 2],
                minutes_ago=10 + (i * 7919) % 500,
                urgency=("normal", "urgent", "crisis", "normal")[i % 4],
            )
        )
    rank = {"crisis": 0, "urgent": 1, "normal": 2}
    expected = sorted(made, key=lambda r: (rank[r.urgency], r.created_at, r.id))
    pages = [console.queue(worker, "new", limit=5, offset=o) for o in range(0, 25, 5)]
    assert [r.id for page in pages for r in page] == [r.id for r in expected]


def test_a_queue_line_names_its_village_and_another_stations_name(app, client, world, login_as):
    """The queue's lines are read as rows of a few columns, not whole requests: the
    village's and the room's names still come with them."""
    login_as("social_worker")
    request_at(world.station_a, village=world.village_a1)
    request_at(world.room_a1, minutes_ago=9)
    db.session.commit()
    html = client.get("/station/").get_data(as_text=True)
    assert '<p class="meta">杏花社区 · 已等' in html  # the worker's own station: no name
    assert " · 杏花社区社工室 · 已等" in html


def test_the_overdue_count_is_exact_per_urgency_below_the_cap_and_stops_at_it(world):
    """The overdue tab is counted one urgency at a time (each a range of the queue index):
    each urgency against its own target, only waiting requests, and the sum capped."""
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    request_at(world.station_a, minutes_ago=20, urgency="crisis")  # past 15 min: overdue
    request_at(world.station_a, minutes_ago=10, urgency="crisis")  # not yet
    request_at(world.station_a, minutes_ago=121, urgency="urgent")  # past 2 h: overdue
    request_at(world.station_a, minutes_ago=100, urgency="urgent")  # not yet
    request_at(world.station_a, minutes_ago=25 * 60, urgency="normal")  # past 24 h
    request_at(world.station_a, minutes_ago=23 * 60, urgency="normal")  # not yet
    request_at(world.station_a, minutes_ago=25 * 60, urgency="crisis", status="accepted")
    request_at(world.station_b, minutes_ago=25 * 60, urgency="crisis")  # another station
    db.session.commit()
    assert console.counts(worker)["overdue"] == 3
    for i in range(45):  # 45 more of each urgency: 138 overdue in all
        for urgency in ("crisis", "urgent", "normal"):
            request_at(world.station_a, minutes_ago=26 * 60 + i, urgency=urgency)
    db.session.commit()
    counts = console.counts(worker)
    assert counts["overdue"] == console.COUNT_CAP + 1
    assert console.count_text(counts)["overdue"] == "99+"
    # deeper into the tab, its count goes as far as the pager needs
    assert console.counts(worker, at_least={"overdue": 200})["overdue"] == 138


def test_the_request_page_reads_its_candidates_stations_in_one_statement(
    app, client, world, login_as
):
    """The request page suggests the matched volunteers of the stations the worker may give
    it to: their stations come in one statement, not one per candidate (it was 9 of the
    page's 27 on the bench's demo county)."""
    from tests.volunteer_support import request_in_a1, volunteer_near

    login_as("social_worker")
    request = request_in_a1(world, category="shopping")
    for km in (0.5, 1.0):
        volunteer_near(world, km)
    volunteer_near(world, 1.5, station=world.station_b)  # matched, not the worker's to give
    db.session.commit()
    path = f"/station/r/{request.id}"
    few, page = _queue_statements(app, client, path)
    assert page.count(" km</option>") == 2
    for km in (2.0, 2.5, 3.0, 3.5, 4.0):
        volunteer_near(world, km)
    db.session.commit()
    many, page = _queue_statements(app, client, path)
    assert page.count(" km</option>") == 7
    assert len(many) == len(few)
    assert sum("FROM volunteer_profile" in s for s in many) <= 2


def test_the_request_page_reads_each_thing_once(app, client, world, login_as):
    """The worker's request page, with all it shows (candidates, texts to a volunteer and
    to the resident, one not got through, the village, volunteers, a team and workers to
    give it to): each kind of row in one statement. The texts come with their flag and
    whom they went to; the villages with their stations; the people to give it to with
    their roles; the request with its village. 20 statements before (19 on PostgreSQL)."""
    from tests.blueprints.test_console_sms import stuck_text
    from tests.volunteer_support import request_in_a1, volunteer_near

    login_as("social_worker")
    request = request_in_a1(world, category="shopping")
    near = volunteer_near(world, 0.5, name="王热心")
    volunteer_near(world, 1.0)
    factories.make_team(world.station_a, near, name="红马甲服务队")
    stuck = stuck_text(request, status="failed")  # to the resident, not got through
    to_volunteer = stuck_text(request, status="delivered", to_phone=near.phone, user_id=near.id)
    db.session.commit()

    seen, page = _queue_statements(app, client, f"/station/r/{request.id}")

    assert world.village_a1.name in page
    assert "红马甲服务队" in page
    assert page.count('value="worker:') >= 1  # the signed-in worker, at least
    # each text with its own flag and recipient, from the one statement
    assert page.count("is-undelivered") == 1
    assert f'is-undelivered" id="sms-{stuck.id}"' in page
    volunteer_line = page[page.index(f'id="sms-{to_volunteer.id}"') :].split("</li>", 1)[0]
    assert "王热心" in volunteer_line and "badge-sms-undelivered" not in volunteer_line
    on_postgresql = db.engine.dialect.name == "postgresql"
    assert len(seen) == (13 if on_postgresql else 14), "\n".join(seen)
    # no lazy loads: the roles, the stations and the texts' people are read with their rows
    assert not any(s.startswith("SELECT user_role.") for s in seen), seen
    assert not any(s.startswith("SELECT station.") for s in seen), seen
    assert sum(s.startswith("SELECT outbox_message.") for s in seen) == 1, seen
    assert sum(s.startswith("SELECT region.") for s in seen) == 1, seen  # the villages list


def test_a_generic_plan_connection_the_server_closed_is_replaced(app, client, world, login_as):
    """The pool kept to generic plans drops a connection the server has closed (a restart,
    an administrator, an idle timeout) as the app's own pool does (app/__init__.py): the
    next queue view opens another and answers."""
    from app import generic_plans

    login_as("social_worker")
    _busy(world, 3)
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no generic-plan pool")
    generic_plans.dispose()  # the one connection the view below opens, nothing else
    assert client.get("/station/").status_code == 200
    pool = generic_plans.engine().pool
    assert pool.checkedin() == 1
    with generic_plans.engine().connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    # Waits (up to 5 s) until the backend has exited: its socket has closed.
    ended = text("SELECT pg_terminate_backend(:pid, 5000)")
    assert db.session.execute(ended, {"pid": pid}).scalar()
    db.session.commit()
    with connections_used(app) as used:
        assert client.get("/station/").status_code == 200
    assert used[-1][1] is generic_plans.engine() and used[-1][0] != pid
