"""The rows an intake writes through Core statements (app/services/intake_rows.py, issue 17)
are the very rows the ORM wrote before: the same request, first event, form token and
"we got it" text, column by column, on every kind of intake (a resident's form with a
token, a repeat marked as a possible duplicate, a hotline call filed by a worker without a
phone, an SMS answered in the reply)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, insert, select

from app.extensions import db
from app.models import FormToken, HelpRequest, OutboxMessage, RequestEvent
from app.models.base import frozen_now
from app.services import intake, workflow
from app.services.notifications import queue_to_resident
from tests import factories

PHONE = "+8613800138000"
AT = datetime(2026, 11, 30, 9, 30)


def _orm_insert(values, station, submitter, actor_label, form_token, acknowledge):
    """What ``intake._insert`` did through the ORM before issue 17 (the reference)."""
    duplicate = (
        intake._open_duplicates(HelpRequest.id, values["contact_phone"], values["category"])
        .where(HelpRequest.station_id == station.id)
        .limit(1)
        .scalar_subquery()
    )
    help_request = db.session.scalars(
        insert(HelpRequest)
        .values(**values, possible_duplicate_of_id=duplicate if values["contact_phone"] else None)
        .returning(HelpRequest)
    ).one()
    workflow.record_event(
        help_request,
        "created",
        actor=submitter,
        actor_label=actor_label,
        to_status="new",
        note=intake._channel_note(values["channel"], submitter),
    )
    if form_token:
        db.session.add(FormToken(token=form_token, request_id=help_request.id))
    if help_request.contact_phone and acknowledge:
        queue_to_resident(help_request, "request_received", **intake.received_values(help_request))
    if form_token:
        db.session.flush()
    return help_request


def _intakes(world, worker) -> None:
    """One of each kind of intake, the second a repeat of the first."""
    for token in ("tok-rows-0000000001", "tok-rows-0000000002"):
        intake.submit_request(
            form_token=token,
            category="shopping",
            description=" 买米\x00 ",
            special_groups=["elderly_alone", "nonsense"],
            village_id=world.village_a1.id,
            address="3 号楼",
            contact_phone=PHONE,
            contact_name="王阿姨",
            urgency="urgent",
        )
        db.session.commit()
    intake.submit_request(
        channel="hotline",
        by=worker,
        actor_label="hotline",
        category="meal_delivery",
        village_id=world.village_a2.id,
        lat=34.75,
        lon=113.62,
        consent_by="本人",
        consent_method="phone",
    )
    intake.submit_request(
        channel="sms",
        acknowledge=False,
        category="other",
        village_id=world.village_a2.id,
        contact_phone="+8613900139000",
        language="en",
    )
    db.session.commit()


def _rows() -> dict[str, list[dict]]:
    """Every row intake wrote, without the ids the database drew; a request is named by
    its tracking code."""
    codes = dict(db.session.execute(select(HelpRequest.id, HelpRequest.code)).all())
    found = {}
    for model in (HelpRequest, RequestEvent, FormToken, OutboxMessage):
        table = model.__table__
        rows = []
        for row in db.session.execute(select(table).order_by(*table.primary_key)).mappings():
            row = dict(row)
            row.pop("id", None)
            for key in ("request_id", "possible_duplicate_of_id"):
                if row.get(key) is not None:
                    row[key] = codes[row[key]]
            rows.append(row)
        found[table.name] = rows
    return found


def _forget_intakes() -> None:
    for model in (OutboxMessage, FormToken, RequestEvent, HelpRequest):
        db.session.execute(delete(model))
    db.session.commit()


@pytest.fixture
def at_a_fixed_time():
    token = frozen_now.set(AT)
    yield
    frozen_now.reset(token)


def test_the_rows_written_are_the_orm_paths(world, monkeypatch, at_a_fixed_time):
    worker = factories.make_user(("social_worker",), station=world.station_a, name="李社工")
    db.session.commit()

    def written(insert_with) -> dict[str, list[dict]]:
        codes = iter(["11110001", "11110002", "11110003", "11110004"])
        monkeypatch.setattr(intake, "new_tracking_code", lambda: next(codes))
        monkeypatch.setattr(intake, "_insert", insert_with)
        _intakes(world, worker)
        rows = _rows()
        _forget_intakes()
        return rows

    core = written(intake._insert)
    orm = written(_orm_insert)
    assert [row["code"] for row in core["help_request"]] == [
        "11110001",
        "11110002",
        "11110003",
        "11110004",
    ]
    assert core["help_request"][1]["possible_duplicate_of_id"] == "11110001"
    assert [row["template"] for row in core["outbox_message"]] == [
        "request_received",
        "request_received",
        "duplicate_still_open",
    ]
    assert [row["action"] for row in core["request_event"]] == [
        "created",
        "created",
        "possible_duplicate",
        "created",
        "created",
    ]
    assert core == orm


def test_the_returned_request_holds_what_was_stored(world, at_a_fixed_time):
    """The request comes back as the session's object without being read: each of its
    columns is what the database holds (the id and the duplicate mark from the INSERT)."""
    earlier = intake.submit_request(
        form_token="tok-held-0000000001",
        category="shopping",
        village_id=world.village_a1.id,
        contact_phone=PHONE,
    )
    db.session.commit()
    created = intake.submit_request(
        form_token="tok-held-0000000002",
        category="shopping",
        description="买米",
        special_groups=["elderly_alone"],
        village_id=world.village_a1.id,
        address="3 号楼",
        lat=34.7512345678,
        lon=113.6254321,
        wanted_at=datetime(2026, 12, 1, 2, 30, 15, 123456),
        contact_phone=PHONE,
        urgency="urgent",
    )
    assert created in db.session and not db.session.is_modified(created)
    assert created.possible_duplicate_of_id == earlier.id
    held = {key: getattr(created, key) for key in HelpRequest.__table__.c.keys()}
    db.session.commit()
    stored = db.session.execute(
        select(HelpRequest.__table__).where(HelpRequest.id == created.id)
    ).one()
    assert held == dict(stored._mapping)
    assert created.station.id == created.station_id  # its relationships load as usual
