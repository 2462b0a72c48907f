"""The county bench's data set, bulk-loaded with SQL (INSERT … SELECT generate_series).

On top of the demo county (its 31 stations, villages and staff, from ``flask seed-demo``):
50,000 ledger beneficiaries, every one in one or more special groups; 5,000 volunteers;
1,000,000 help requests over the last 365 days (categories, channels, urgencies and
statuses spread, response and finish times drawn per urgency, half the closed ones rated,
one in 67 reopened as 'not solved'); and 2,000,000 service records: one per request done
or closed (volunteer or team check-outs, social workers' check-outs, closes by the
station), the rest home visits and welfare calls that reached someone, each with its own
Visit or CallLog row (and calls that reached nobody, which count for nothing). A tenth of
the ledger gets no visit or call (the coverage lists are not empty).

Everything is drawn in PostgreSQL (``setseed``), so a load of 3,000,000+ rows takes a few
minutes, not the hour row-by-row inserts would. Bench rows are marked: requests' codes
start with 'BC', beneficiaries' and volunteers' notes or names say 'bench'.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.models.reach import reach_cell
from app.models.vocab import CATEGORIES, GROUP_BITS, skills_mask

BENEFICIARIES = 50_000
VOLUNTEERS = 5_000
DAYS = 365

# Shares (per cent or per mille) the draws follow: a county's year as the seeds describe it.
STATUS_WEIGHTS = {
    "closed": 70,
    "done": 3,
    "cancelled": 5,
    "rejected": 3,
    "new": 6,
    "accepted": 3,
    "offered": 4,
    "assigned": 4,
    "in_progress": 2,
}
CHANNEL_WEIGHTS = {"web": 45, "hotline": 20, "proxy": 15, "sms": 10, "visit": 10}
URGENCY_WEIGHTS = {"normal": 90, "urgent": 9, "crisis": 1}
# Mean minutes to accept, by urgency (exponential draws).
ACCEPT_MEAN_MINUTES = {"normal": 150, "urgent": 40, "crisis": 12}
FINISH_MEAN_HOURS = 30
STAR_WEIGHTS = {5: 53, 4: 30, 3: 10, 2: 4, 1: 3}
CATEGORY_WEIGHTS = {
    "meal_delivery": 14,
    "shopping": 12,
    "companionship": 12,
    "cleaning": 8,
    "medical_escort": 8,
    "policy_consultation": 7,
    "assistance_application": 6,
    "needs_assessment": 6,
    "resource_linking": 5,
    "safety_check": 5,
    "haircut": 4,
    "tutoring": 4,
    "emotional_support": 4,
    "crisis_intervention": 1,
    "other": 4,
}
# Per mille of ledger people in each group (a person may be in several).
GROUP_PER_MILLE = {
    "elderly_alone": 380,
    "dibao": 200,
    "left_behind_child": 160,
    "disabled": 120,
    "left_behind_woman": 80,
    "tekun": 60,
    "child_in_difficulty": 40,
    "homeless": 5,
}
# Of the records that are not requests' work: the share that are home visits (the rest
# are welfare calls that reached someone).
VISIT_SHARE = 0.43


def _weighted(weights: dict) -> str:
    """A SQL expression drawing one key of ``weights`` (an array of 100-odd entries)."""
    entries = []
    for key, weight in weights.items():
        literal = str(key) if isinstance(key, int) else "'" + key + "'"
        entries += [literal] * weight
    return f"(ARRAY[{', '.join(entries)}])[1 + floor(random() * {len(entries)})::int]"


def fill(
    conn,
    *,
    requests: int,
    records: int,
    now: datetime,
    beneficiaries: int = BENEFICIARIES,
    volunteers: int = VOLUNTEERS,
) -> dict[str, int]:
    """Load the data set through ``conn`` (psycopg, one transaction). Returns row counts."""
    missing = set(CATEGORY_WEIGHTS) ^ set(CATEGORIES)
    if missing:  # a category added or renamed: the spread must name every one
        raise RuntimeError(f"bench categories differ from vocab.CATEGORIES: {sorted(missing)}")
    start = now - timedelta(days=DAYS)
    params = {"now": now, "start": start}

    def run(sql: str, values: dict | None = None):
        # Always with parameters, so '%%' reads as '%' in every statement.
        return conn.execute(sql, values if values is not None else {})

    run("SELECT setseed(0.2026)")
    # The demo county's own records count towards the total: the table holds ``records``.
    existing = run("SELECT count(*) FROM service_record").fetchone()[0]
    _places(run)
    _people(run, params, beneficiaries, volunteers)
    _requests(run, requests, params)
    from_requests = _request_records(run)
    rest = records - existing - from_requests
    visits = round(rest * VISIT_SHARE)
    _visits(run, visits, params)
    _calls(run, rest - visits, params)
    _ledger_dates(run, now)
    # Rows arrive in time order in a live system (a record is written when the service
    # ends): lay the big tables out that way, as their physical order would be.
    run("CLUSTER help_request USING ix_help_request_created")
    run("CLUSTER service_record USING ix_service_record_ended")
    return {
        "requests": requests,
        "records": records,
        "records_from_requests": from_requests,
        "records_of_demo": existing,
        "visits": visits,
        "calls_reached": rest - visits,
    }


def _places(run) -> None:
    """Villages with the station that serves them, a worker per station, group masks."""
    run(
        """
        CREATE TEMP TABLE bench_place ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY v.id)::int AS n, v.id AS village_id,
               coalesce(room.id, town.id) AS station_id,
               coalesce(v.lat, 34.7) AS lat, coalesce(v.lon, 113.6) AS lon
        FROM region v
        JOIN station town ON town.region_id = v.parent_id AND town.kind = 'township_station'
        LEFT JOIN station room ON room.region_id = v.id AND room.kind = 'village_room'
        WHERE v.level = 'village'
        """
    )
    if not run("SELECT count(*) FROM bench_place").fetchone()[0]:
        raise RuntimeError("no villages with a station: run flask seed-demo first")
    run(
        """
        CREATE TEMP TABLE bench_staff ON COMMIT DROP AS
        WITH workers AS (
            SELECT u.id, u.station_id FROM "user" u
            JOIN user_role r ON r.user_id = u.id
            WHERE r.role IN ('social_worker', 'station_admin') AND u.station_id IS NOT NULL
        )
        SELECT s.id AS station_id, coalesce(
            (SELECT min(w.id) FROM workers w WHERE w.station_id = s.id),
            (SELECT min(w.id) FROM workers w WHERE w.station_id = s.parent_id),
            (SELECT min(w.id) FROM workers w)) AS worker_id
        FROM station s
        """
    )
    run(
        "CREATE TEMP TABLE bench_team ON COMMIT DROP AS "
        "SELECT row_number() OVER (ORDER BY id)::int AS n, id FROM team"
    )
    masks = []
    for mask in range(256):
        codes = [code for code, bit in GROUP_BITS.items() if mask & bit]
        json_codes = "[" + ", ".join(f'"{code}"' for code in codes) + "]"
        masks.append(f"({mask}, '{json_codes}'::json)")
    run(
        "CREATE TEMP TABLE bench_mask ON COMMIT DROP AS SELECT * FROM (VALUES "
        + ", ".join(masks)
        + ") m(mask, groups)"
    )


def _people(run, params, beneficiaries: int, volunteers: int) -> None:
    bits = " + ".join(
        f"CASE WHEN random() * 1000 < {share} THEN {GROUP_BITS[code]} ELSE 0 END"
        for code, share in GROUP_PER_MILLE.items()
    )
    places = "(SELECT count(*) FROM bench_place)"
    run(
        f"""
        INSERT INTO beneficiary (name, gender, birth_year, phone, special_groups, groups_mask,
            guardian_name, guardian_relation, village_id, station_id, address, lat, lon,
            notes, visit_interval_days, created_at)
        SELECT '服务对象' || x.g, CASE WHEN x.r1 < 0.5 THEN '男' ELSE '女' END,
            CASE WHEN x.mask & 3 > 0 THEN 2010 + floor(x.r2 * 10)::int
                 ELSE 1930 + floor(x.r2 * 45)::int END,
            '+86136' || lpad(x.g::text, 8, '0'), m.groups, x.mask, '', '',
            p.village_id, p.station_id, '', p.lat, p.lon, 'bench',
            (ARRAY[NULL, 30, 30, 60, 90])[1 + floor(x.r3 * 5)::int],
            %(start)s - interval '1 year' * x.r1
        FROM (
            SELECT g, coalesce(nullif({bits}, 0), {GROUP_BITS["elderly_alone"]}) AS mask,
                   1 + floor(random() * {places})::int AS pn,
                   random() AS r1, random() AS r2, random() AS r3
            FROM generate_series(1, {int(beneficiaries)}) g
        ) x
        JOIN bench_mask m ON m.mask = x.mask
        JOIN bench_place p ON p.n = x.pn
        """,
        params,
    )
    # The ledger people visits and calls reach: nine in ten (the rest show in coverage).
    run(
        """
        CREATE TEMP TABLE bench_ben ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY id)::int AS n, id, station_id, village_id,
               groups_mask, special_groups
        FROM beneficiary WHERE notes = 'bench' AND id %% 10 <> 0
        """
    )
    run("CREATE UNIQUE INDEX ON bench_ben (n)")
    run(
        """
        INSERT INTO "user" (username, phone, name, password_hash, station_id, language, active,
            created_at, session_version, phone_confirmed_at, certificate_level, training_hours)
        SELECT NULL, '+86135' || lpad(g::text, 8, '0'), 'bench志愿者' || g,
            (SELECT password_hash FROM "user" ORDER BY id LIMIT 1),
            p.station_id, 'zh', true, t, 0, t, '', 0
        FROM (
            SELECT g, 1 + floor(random() * (SELECT count(*) FROM bench_place))::int AS pn,
                   %(start)s - interval '1 year' + interval '2 years' * random() AS t
            FROM generate_series(1, %(n)s) g
        ) x JOIN bench_place p ON p.n = x.pn
        """,
        {**params, "n": volunteers},
    )
    run(
        """
        CREATE TEMP TABLE bench_vol ON COMMIT DROP AS
        SELECT id AS user_id, station_id,
               row_number() OVER (PARTITION BY station_id ORDER BY id)::int AS k
        FROM "user" WHERE name LIKE 'bench志愿者%%'
        """
    )
    run("CREATE UNIQUE INDEX ON bench_vol (station_id, k)")
    run(
        "CREATE TEMP TABLE bench_volcount ON COMMIT DROP AS "
        "SELECT station_id, count(*)::int AS c FROM bench_vol GROUP BY station_id"
    )
    run("INSERT INTO user_role (user_id, role) SELECT user_id, 'volunteer' FROM bench_vol")
    run(
        """
        INSERT INTO volunteer_profile (user_id, station_id, skills, skill_bits, availability,
            home_lat, home_lon, home_village_id, radius_km, open_task_limit, status,
            vetted_for_children, approved_at)
        SELECT v.user_id, v.station_id, '["shopping", "companionship"]', %(skill_bits)s, '[]',
            p.lat, p.lon, p.village_id, 5, 2,
            CASE WHEN v.user_id %% 20 = 0 THEN 'suspended' ELSE 'approved' END, false,
            u.created_at
        FROM bench_vol v
        JOIN "user" u ON u.id = v.user_id
        JOIN LATERAL (SELECT * FROM bench_place p WHERE p.station_id = v.station_id
                      ORDER BY p.n LIMIT 1) p ON true
        """,
        {"skill_bits": skills_mask(["shopping", "companionship"])},
    )
    _reach_cells(run)


def _reach_cells(run) -> None:
    """The reach cell of each profile loaded here, as the model computes it (the SQL above
    skips the model)."""
    cursor = run(
        "SELECT user_id, home_lat, home_lon, radius_km FROM volunteer_profile"
        " WHERE reach_cell IS NULL AND home_lat IS NOT NULL AND home_lon IS NOT NULL"
    )
    cells = [{"id": i, "cell": reach_cell(lat, lon, r)} for i, lat, lon, r in cursor.fetchall()]
    cursor.executemany(
        "UPDATE volunteer_profile SET reach_cell = %(cell)s WHERE user_id = %(id)s", cells
    )


def _requests(run, total: int, params) -> None:
    accept_mean = (
        "CASE y.urgency "
        + " ".join(f"WHEN '{u}' THEN {m}" for u, m in ACCEPT_MEAN_MINUTES.items())
        + " END"
    )
    later = "('assigned', 'in_progress', 'done', 'closed')"
    run(
        f"""
        INSERT INTO help_request (code, category, description, special_groups, for_whom,
            urgency, lat, lon, location_source, address, village_id, wanted_note,
            contact_name, contact_phone, language, channel, consent, consent_by,
            consent_method, beneficiary_id, station_id, status, escalated, offer_round,
            outcome, rating, rating_comment, sms_unreachable, created_at, updated_at,
            accepted_at, assigned_at, started_at, done_at, closed_at)
        SELECT 'BC' || lpad(x.g::text, 7, '0'), x.category, 'bench', m.groups, 'self',
            x.urgency, p.lat + (x.r1 - 0.5) * 0.02, p.lon + (x.r2 - 0.5) * 0.02, 'village',
            '', coalesce(b.village_id, p.village_id), '', '',
            '+86138' || lpad(x.g::text, 8, '0'), 'zh', x.channel, true, '', '',
            b.id, coalesce(b.station_id, p.station_id), x.status, false, 0,
            CASE WHEN x.status IN ('done', 'closed') THEN 'bench' ELSE '' END,
            CASE WHEN x.status = 'closed' AND x.r3 < 0.5 THEN x.stars END, '', false,
            x.created, x.created,
            CASE WHEN x.status NOT IN ('new', 'rejected', 'cancelled')
                 THEN x.created + interval '1 minute' * x.accept END,
            CASE WHEN x.status IN {later}
                 THEN x.created + interval '1 minute' * (x.accept + 10) END,
            CASE WHEN x.status IN ('in_progress', 'done', 'closed')
                 THEN x.created + interval '1 minute' * (x.accept + 60) END,
            CASE WHEN x.status IN ('done', 'closed')
                 THEN least(x.created + interval '1 minute' * x.accept
                            + interval '1 hour' * x.finish, %(now)s) END,
            CASE WHEN x.status = 'closed'
                 THEN least(x.created + interval '1 minute' * x.accept
                            + interval '1 hour' * (x.finish + 20), %(now)s) END
        FROM (
            SELECT y.*, -ln(1 - random()) * {accept_mean} AS accept,
                   -ln(1 - random()) * {FINISH_MEAN_HOURS} AS finish
            FROM (
                SELECT g, {_weighted(CATEGORY_WEIGHTS)} AS category,
                       {_weighted(URGENCY_WEIGHTS)} AS urgency,
                       {_weighted(CHANNEL_WEIGHTS)} AS channel,
                       {_weighted(STATUS_WEIGHTS)} AS status,
                       {_weighted(STAR_WEIGHTS)} AS stars,
                       %(start)s + interval '{DAYS} days' * random() AS created,
                       CASE WHEN random() < 0.4
                            THEN 1 + floor(random() * (SELECT count(*) FROM bench_ben))::int
                       END AS bn,
                       CASE WHEN random() < 0.3 THEN (ARRAY[1, 2, 4, 4, 4, 8, 16, 32, 128])
                            [1 + floor(random() * 9)::int] ELSE 0 END AS alt_mask,
                       1 + floor(random() * (SELECT count(*) FROM bench_place))::int AS pn,
                       random() AS r1, random() AS r2, random() AS r3
                FROM generate_series(1, {int(total)}) g
            ) y
        ) x
        LEFT JOIN bench_ben b ON b.n = x.bn
        JOIN bench_place p ON p.n = x.pn
        JOIN bench_mask m ON m.mask = coalesce(b.groups_mask, x.alt_mask)
        """,
        params,
    )
    # The residents' ratings as their timeline says them (tracking.rate writes 'rated').
    run(
        """
        INSERT INTO request_event (request_id, at, actor_label, action, note, public)
        SELECT id, closed_at, 'resident', 'rated', '', true
        FROM help_request WHERE code LIKE 'BC%%' AND rating IS NOT NULL
        """
    )
    # 'Not solved': the resident reopened the work (tracking.not_solved), one in 67 closed.
    run(
        """
        INSERT INTO request_event (request_id, at, actor_label, action, from_status,
            to_status, note, public)
        SELECT id, done_at + interval '2 hours', 'resident', 'reopen', 'done', 'assigned',
            '', true
        FROM help_request WHERE code LIKE 'BC%%' AND status = 'closed' AND id %% 67 = 0
        """
    )


def _request_records(run) -> int:
    """One record per request done or closed: check-outs and the station's closes."""
    cursor = run(
        """
        INSERT INTO service_record (source, request_id, volunteer_id, team_id, worker_id,
            station_id, village_id, beneficiary_id, category, special_groups, groups_mask,
            started_at, ended_at, hours, person_times, outcome, welfare_note, created_at)
        SELECT x.source, x.id,
            CASE WHEN x.source = 'worker' THEN NULL ELSE v.user_id END,
            CASE WHEN x.source = 'claim' AND x.r2 < 0.1 THEN t.id END,
            CASE WHEN x.source <> 'claim' THEN s.worker_id END,
            x.station_id, x.village_id, x.beneficiary_id, x.category, x.special_groups,
            coalesce(b.groups_mask, m.mask, 0), x.started_at, x.done_at,
            round((0.5 + x.r3 * 2.5)::numeric, 1), 1, 'bench', '', x.done_at
        FROM (
            SELECT h.*, CASE WHEN r < 0.85 THEN 'claim' WHEN r < 0.95 THEN 'worker'
                             ELSE 'station_close' END AS source
            FROM (SELECT h.*, random() AS r, random() AS r2, random() AS r3
                  FROM help_request h
                  WHERE h.code LIKE 'BC%%' AND h.status IN ('done', 'closed')) h
        ) x
        JOIN bench_volcount c ON c.station_id = x.station_id
        JOIN bench_vol v ON v.station_id = x.station_id AND v.k = 1 + (x.id::bigint * 7919) %% c.c
        JOIN bench_staff s ON s.station_id = x.station_id
        LEFT JOIN bench_team t ON t.n = 1 + x.id %% (SELECT greatest(count(*), 1) FROM bench_team)
        LEFT JOIN beneficiary b ON b.id = x.beneficiary_id
        LEFT JOIN bench_mask m ON m.groups::text = x.special_groups::text
        """
    )
    inserted = cursor.rowcount
    # Requests at a station with no bench volunteer of its own (none by construction, as
    # every bench station has villages and volunteers are spread over villages): check.
    done = run(
        "SELECT count(*) FROM help_request WHERE code LIKE 'BC%%' AND status IN ('done', 'closed')"
    ).fetchone()[0]
    if inserted != done:
        raise RuntimeError(f"{done - inserted} done requests got no service record")
    return inserted


def _visits(run, total: int, params) -> None:
    before = run("SELECT coalesce(max(id), 0) FROM visit").fetchone()[0]
    run(
        f"""
        INSERT INTO visit (beneficiary_id, worker_id, station_id, visited_at,
            living_conditions, health, needs_found, follow_up, minutes)
        SELECT b.id, s.worker_id, b.station_id, x.at, 'fair', 'stable', '', '', x.minutes
        FROM (
            SELECT g, 1 + floor(random() * (SELECT count(*) FROM bench_ben))::int AS bn,
                   %(start)s + interval '{DAYS} days' * random() AS at,
                   20 + floor(random() * 70)::int AS minutes
            FROM generate_series(1, {int(total)}) g
        ) x
        JOIN bench_ben b ON b.n = x.bn
        JOIN bench_staff s ON s.station_id = b.station_id
        """,
        params,
    )
    run(
        """
        INSERT INTO service_record (source, visit_id, worker_id, station_id, village_id,
            beneficiary_id, category, special_groups, groups_mask, ended_at, hours,
            person_times, outcome, welfare_note, created_at)
        SELECT 'visit', v.id, v.worker_id, b.station_id, b.village_id, b.id, 'home_visit',
            b.special_groups, b.groups_mask, v.visited_at, round(v.minutes / 60.0, 2), 1,
            '', '', v.visited_at
        FROM visit v JOIN bench_ben b ON b.id = v.beneficiary_id
        WHERE v.id > %(before)s
        """,
        {"before": before},
    )


def _calls(run, reached: int, params) -> None:
    before = run("SELECT coalesce(max(id), 0) FROM call_log").fetchone()[0]
    for total, outcomes in (
        (reached, {"reached": 85, "reached_guardian": 15}),
        (round(reached * 0.14), {"no_answer": 12, "wrong_number": 2}),
    ):
        run(
            f"""
            INSERT INTO call_log (beneficiary_id, worker_id, station_id, called_at, outcome,
                minutes, note)
            SELECT b.id, s.worker_id, b.station_id, x.at, x.outcome, x.minutes, ''
            FROM (
                SELECT g, 1 + floor(random() * (SELECT count(*) FROM bench_ben))::int AS bn,
                       %(start)s + interval '{DAYS} days' * random() AS at,
                       {_weighted(outcomes)} AS outcome,
                       CASE WHEN random() < 0.9 THEN 3 + floor(random() * 15)::int
                            ELSE 0 END AS minutes
                FROM generate_series(1, {int(total)}) g
            ) x
            JOIN bench_ben b ON b.n = x.bn
            JOIN bench_staff s ON s.station_id = b.station_id
            """,
            params,
        )
    run(
        """
        INSERT INTO service_record (source, call_id, worker_id, station_id, village_id,
            beneficiary_id, category, special_groups, groups_mask, ended_at, hours,
            person_times, outcome, welfare_note, created_at)
        SELECT 'call', c.id, c.worker_id, b.station_id, b.village_id, b.id, 'welfare_call',
            b.special_groups, b.groups_mask, c.called_at, round(c.minutes / 60.0, 2), 1,
            '', '', c.called_at
        FROM call_log c JOIN bench_ben b ON b.id = c.beneficiary_id
        WHERE c.id > %(before)s AND c.outcome IN ('reached', 'reached_guardian')
        """,
        {"before": before},
    )


def _ledger_dates(run, now: datetime) -> None:
    """Each bench person's last visit and, under a care plan, the next one due."""
    run(
        """
        UPDATE beneficiary b
        SET last_visit_at = v.last,
            next_visit_due = CASE WHEN b.visit_interval_days IS NOT NULL
                THEN (v.last + interval '1 day' * b.visit_interval_days)::date END
        FROM (SELECT beneficiary_id, max(visited_at) AS last FROM visit
              GROUP BY beneficiary_id) v
        WHERE v.beneficiary_id = b.id AND b.notes = 'bench'
        """
    )
    run(
        """
        UPDATE beneficiary SET next_visit_due = %(today)s::date
        WHERE notes = 'bench' AND last_visit_at IS NULL AND visit_interval_days IS NOT NULL
        """,
        {"today": now.date()},
    )
