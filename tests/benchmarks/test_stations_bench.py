"""The stations benchmark's parts: a province's stations filled once, with the worker it
signs in, and the figures of a signed-in unit of work."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Station, User
from benchmarks import stations


def test_fill_makes_the_county_centres_their_townships_and_staff_once(app):
    assert stations.fill(3, 4) == 15
    assert stations.fill(3, 4) == 15  # kept: nothing added the second time
    assert db.session.scalar(select(func.count()).select_from(Station)) == 15
    assert db.session.scalar(select(func.count()).select_from(User)) == 13  # 12 + 1 centre
    centres = db.session.scalars(
        select(Station).where(Station.kind == "county_centre").order_by(Station.id)
    ).all()
    assert len(centres) == 3 and all(c.parent_id is None for c in centres)
    worker = db.session.scalar(select(User).where(User.username == stations.WORKER))
    assert worker.roles == {"social_worker"}
    assert db.session.get(Station, worker.station_id).parent_id == centres[0].id
    centre = db.session.scalar(select(User).where(User.username == stations.CENTRE))
    assert centre.station_id == centres[0].id and centre.roles == {"social_worker"}


def test_measure_signs_the_worker_in_and_works_out_their_stations(app):
    stations.fill(2, 3)
    with app.test_request_context("/"):
        township = stations.measure(stations.WORKER, units=20)
        centre = stations.measure(stations.CENTRE, units=20)
    assert township["seen"] == 1  # a township station without rooms reads itself
    assert centre["seen"] == 4  # the centre reads its county: itself and three townships
    for figures in (township, centre):
        assert 0 < figures["p50"] <= figures["p95"]
        assert figures["cpu"] > 0
