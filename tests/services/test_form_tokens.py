"""One-time form tokens (app/services/form_tokens.py): a home visit or a welfare call sent
twice, one after the other or at the same moment, is recorded once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Beneficiary, CallLog, ServiceRecord, User, Visit
from app.services import ServiceError, form_tokens, ledger
from tests import factories


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def person_and_worker(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    person = factories.make_beneficiary(world.station_a, world.village_a1)
    db.session.commit()
    return person.id, worker.id


def visit(person_id: int, worker_id: int, token: str) -> Visit:
    return ledger.record_visit(
        db.session.get(Beneficiary, person_id),
        db.session.get(User, worker_id),
        living_conditions="good",
        health="good",
        minutes="30",
        form_token=token,
    )


def test_a_token_spent_once_refuses_the_second_send(app, person_and_worker):
    token = form_tokens.new_token()
    visit(*person_and_worker, token)
    db.session.commit()
    with pytest.raises(form_tokens.AlreadySent):
        visit(*person_and_worker, token)
    db.session.rollback()
    assert (count(Visit), count(ServiceRecord)) == (1, 1)


def test_two_sends_at_the_same_moment_record_one_visit(app, person_and_worker, monkeypatch):
    """The other send commits between this one's look-up and its insert: the insert fails
    on the token's key and the send is answered as sent twice, its visit undone."""
    token = form_tokens.new_token()
    read = form_tokens._spent

    def the_other_send_wins(looked_up: str) -> bool:
        monkeypatch.setattr(form_tokens, "_spent", read)
        with app.app_context():  # another web request, its own session
            visit(*person_and_worker, token)
            db.session.commit()
        return False  # what this send read before the other committed

    monkeypatch.setattr(form_tokens, "_spent", the_other_send_wins)
    with pytest.raises(form_tokens.AlreadySent):
        visit(*person_and_worker, token)
    db.session.rollback()
    assert (count(Visit), count(ServiceRecord)) == (1, 1)


def test_calls_spend_tokens_too_and_a_bad_token_is_refused(app, person_and_worker):
    person_id, worker_id = person_and_worker
    person, worker = db.session.get(Beneficiary, person_id), db.session.get(User, worker_id)
    token = form_tokens.new_token()
    ledger.log_call(person, worker, outcome="reached", minutes="5", form_token=token)
    db.session.commit()
    with pytest.raises(form_tokens.AlreadySent):
        ledger.log_call(person, worker, outcome="reached", minutes="5", form_token=token)
    db.session.rollback()
    for bad in ("", "short", "x" * 65, "no spaces allowed in a token!!"):
        with pytest.raises(ServiceError) as refused:
            ledger.log_call(person, worker, outcome="reached", minutes="5", form_token=bad)
        assert not isinstance(refused.value, form_tokens.AlreadySent)
        db.session.rollback()
    assert (count(CallLog), count(ServiceRecord)) == (1, 1)


def test_without_a_form_the_use_cases_spend_nothing(app, person_and_worker):
    """The demo and other callers with no form pass no token: nothing to spend."""
    person_id, worker_id = person_and_worker
    person, worker = db.session.get(Beneficiary, person_id), db.session.get(User, worker_id)
    ledger.log_call(person, worker, outcome="no_answer")
    ledger.record_visit(person, worker, living_conditions="good", health="good")
    db.session.commit()
    assert (count(CallLog), count(Visit), count(ServiceRecord)) == (1, 1, 1)
