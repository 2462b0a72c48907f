"""SMS test helpers: the fake Twilio server wired into the app, outbox rows, signed posts.

Import the fixtures into a test module under their private names (pytest knows them by
``name=``): ``from tests.sms_support import fake_twilio_fixture, twilio_fixture  # noqa: F401``.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from tests.fakes.twilio_server import FakeTwilio

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "linli-test-auth-token"
FROM_NUMBER = "+15005550006"


@pytest.fixture(name="fake_twilio")
def fake_twilio_fixture():
    with FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture(name="twilio")
def twilio_fixture(app, fake_twilio, monkeypatch):
    """The app sends through the real twilio library to the fake server."""
    settings = {
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": FROM_NUMBER,
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
        "TWILIO_TIMEOUT": 2,
        "SMS_HOURLY_LIMIT": 50,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    yield fake_twilio
    app.extensions.pop("linli_sender", None)


@pytest.fixture(name="signed")
def signed_fixture(app, monkeypatch):
    """Webhooks need TWILIO_AUTH_TOKEN to check signatures."""
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    return AUTH_TOKEN


def add_message(to_phone: str, body: str = "你好", **kwargs) -> OutboxMessage:
    """An outbox row, due now (committed, as the worker would find it)."""
    message = OutboxMessage(
        to_phone=to_phone,
        body=body,
        template=kwargs.pop("template", "test_message"),
        next_attempt_at=kwargs.pop("next_attempt_at", utcnow()),
        **kwargs,
    )
    db.session.add(message)
    db.session.commit()
    return message


def reload(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def make_due(*messages: OutboxMessage) -> None:
    """Time passes: retries scheduled for later are due now."""
    for message in messages:
        db.session.get(OutboxMessage, message.id).next_attempt_at = utcnow()
    db.session.commit()


def signature(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def post_signed(client, path: str, params: dict, *, base="http://localhost", token=AUTH_TOKEN):
    """POST form ``params`` to ``path`` as Twilio would, signed for ``base`` + path."""
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature(base + path, params, token)},
    )


def inbound_params(from_phone: str, body: str, sid: str) -> dict:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_phone,
        "To": FROM_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
