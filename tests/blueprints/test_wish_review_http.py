"""Fixes from the outside review of micro-wishes over HTTP (issue 18, part 2)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from tests.console_support import text
from tests.wish_support import make_child, make_wish, worker_of


def test_the_worker_sees_what_goes_public_before_publishing(client, world, login_as):
    worker = login_as("social_worker", station=world.station_a)
    child = make_child(world)
    wish = make_wish(worker, child, publish=False)
    db.session.commit()
    page = text(client.get(f"/station/wishes/{wish.id}"))
    preview = page.split("公开展示的内容", 1)[1].split("</section>", 1)[0]
    assert wish.what in preview and wish.code in preview and "120" in preview
    assert child.name not in preview and child.village.name not in preview


def test_the_resources_export_is_in_the_access_log(client, world, login_as):
    worker = login_as("social_worker", station=world.station_a)
    assert client.get("/station/resources.csv").status_code == 200
    db.session.expire_all()
    logged = db.session.scalars(
        select(AuditLog).where(AuditLog.actor_id == worker.id, AuditLog.action == "export")
    ).all()
    assert [(entry.object_type, entry.station_id) for entry in logged] == [
        ("resource_entry", world.station_a.id)
    ]


def test_a_wish_code_with_letters_is_not_found(client, world):
    wish = make_wish(worker_of(world.station_a), make_child(world))
    db.session.commit()
    assert client.get(f"/wishes/{wish.code}").status_code == 200
    mangled = wish.code[:2] + "a" + wish.code[2:]
    assert client.get(f"/wishes/{mangled}").status_code == 404
