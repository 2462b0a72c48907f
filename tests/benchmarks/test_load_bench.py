"""The load benchmark's parts: the requests it fills (COPY on PostgreSQL, inserts
elsewhere; a second fill tops up), the databases named per size, and the workers' memory
read from /proc."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from app.extensions import db
from app.models import HelpRequest
from benchmarks import fill_requests, load


def _bench_rows() -> list[tuple[str, str, int]]:
    return db.session.execute(
        select(HelpRequest.code, HelpRequest.status, HelpRequest.station_id)
        .where(HelpRequest.code.like("BN%"))
        .order_by(HelpRequest.code)
    ).all()


def test_fill_adds_the_requests_once_then_tops_up(world):
    assert fill_requests.fill(40) == 40
    first = _bench_rows()
    assert [code for code, _s, _st in first] == [f"BN{i:06d}" for i in range(1, 41)]
    assert {status for _c, status, _st in first} <= set(fill_requests.STATUS_WEIGHTS)
    assert fill_requests.fill(40) == 0  # nothing twice
    assert fill_requests.fill(55) == 15
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)) >= 55
    assert _bench_rows()[:40] == first  # the first forty as they were


def test_codes_past_a_million_keep_their_digits():
    assert fill_requests.code_for(999_999) == "BN999999"
    assert fill_requests.code_for(1_000_000) == "BN1000000"
    assert len(fill_requests.code_for(1_000_000)) <= HelpRequest.code.type.length


def test_each_size_has_its_own_database(monkeypatch):
    monkeypatch.setattr(load, "DB_NAME", "linli_bench_x")
    monkeypatch.setattr(load, "QUEUE_REQUESTS", 100_000)
    assert load.database_name(100_000) == "linli_bench_x"
    assert load.database_name(10_000) == "linli_bench_x_10k"
    assert load.database_name(1_000_000) == "linli_bench_x_1m"
    assert load.size_label(12_345) == "12345"


def test_worker_memory_is_read_for_each_child():
    children = [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) for _ in range(2)
    ]
    try:
        sizes = load.worker_memory_mb(os.getpid())
    finally:
        for child in children:
            child.kill()
            child.wait()
    assert len(sizes) >= 2 and all(0 < mb < 1000 for mb in sizes)
    assert "target < 150 MB: ok" in load._memory_line("100k requests", [100.0, 120.0])
    assert "OVER" in load._memory_line("100k requests", [100.0, 151.0])


def _run(rps: float, p95: float = 20.0, cpu_ms: float = 5.0) -> dict:
    return {"rps": rps, "p50": p95 / 2, "p95": p95, "cpu_ms": cpu_ms, "errors": 0, "non2xx": 0}


def test_a_ratio_just_under_a_target_does_not_print_as_the_target():
    line = load._line("triage queue", [(_run(374.0, 26.6), _run(3893.0))])
    assert " 0.096× bare;" in line


def test_each_round_is_measured_against_its_own_bare_endpoint():
    """The machine halves its speed for minutes at a time: a scenario run in a slow phase is
    compared with the bare endpoint of the same round, not with one from a fast phase."""
    fast, slow = _run(4000.0, cpu_ms=0.5), _run(2000.0, cpu_ms=1.0)
    pairs = [
        (_run(400.0, 30.0, cpu_ms=5.0), fast),
        (_run(180.0, 60.0, cpu_ms=10.0), slow),
        (_run(420.0, 25.0, cpu_ms=4.8), fast),
    ]
    figures = load.summary(pairs)
    # 0.100, 0.090, 0.105: paired with one bare run of 4000 the slow round would say 0.045
    assert figures["ratio"] == 0.1
    assert (figures["low"], figures["high"]) == (0.09, 0.105)
    assert figures["rps"] == 400.0 and figures["p95"] == 30.0
    assert figures["cpu_ms"] == 5.0 and figures["cpu_ratio"] == 0.1
    assert figures["rounds"] == 3
    line = load._line("nearby tasks", pairs)
    assert "0.100× bare (rounds 0.090-0.105)" in line
    assert "CPU 5.00 ms/request, 0.100× bare's" in line


def test_the_rounds_alternate_the_bare_endpoint_and_the_scenarios(monkeypatch):
    called = []

    def fake_wrk(url, script, timeout="5s"):
        called.append(url.rsplit("/", 1)[1])
        return _run(100.0 * len(called))

    monkeypatch.setattr(load, "_wrk", fake_wrk)
    bares, runs = load.measure("http://x", "/bare", [("a", "/a", ""), ("b", "/b", "")], 2)
    assert called == ["bare", "a", "b", "bare", "a", "b"]
    assert [bare["rps"] for _run_, bare in runs["a"]] == [100.0, 400.0]
    assert [bare["rps"] for bare, _same in bares] == [100.0, 400.0]


def test_the_machines_busy_time_is_read_and_grows():
    before = load.busy_seconds()
    sum(range(3_000_000))
    assert load.busy_seconds() > before > 0


def test_the_intakes_posts_of_earlier_runs_are_forgotten_before_the_next(world, client):
    """Each load run's intake posts file real requests (with their events, form tokens and
    texts) into the bench database; the next run's fill removes them, so every run measures
    the same N requests. Nothing else goes: not the filled rows, not a request that says
    the same first sentence (the demo county's do)."""
    from app.models import FormToken, OutboxMessage, RequestEvent
    from benchmarks.scenarios import INTAKE_DESCRIPTION
    from tests.public_support import post_ask

    fill_requests.fill(10)
    assert fill_requests.forget_intake() == 0  # nothing posted yet
    for phone in ("13900000001", "13900000002"):
        posted = post_ask(client, world, description=INTAKE_DESCRIPTION, phone=phone)
        assert posted.status_code in (302, 303)
    demo_like = INTAKE_DESCRIPTION.split("。")[0]
    assert post_ask(client, world, description=demo_like, phone="13900000003").status_code in (
        302,
        303,
    )
    posted = db.session.scalars(
        select(HelpRequest.id).where(HelpRequest.description == INTAKE_DESCRIPTION)
    ).all()
    assert len(posted) == 2
    texts = select(func.count()).select_from(OutboxMessage)
    assert db.session.scalar(texts.where(OutboxMessage.request_id.in_(posted)))
    before = db.session.scalar(select(func.count()).select_from(HelpRequest))

    assert fill_requests.forget_intake() == 2
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == before - 2
    for model in (OutboxMessage, RequestEvent, FormToken):
        left = select(func.count()).select_from(model).where(model.request_id.in_(posted))
        assert db.session.scalar(left) == 0, model
    assert len(_bench_rows()) == 10  # the filled ones stay
    assert fill_requests.forget_intake() == 0
