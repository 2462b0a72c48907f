"""SMS senders behind one small interface, chosen by the SMS_BACKEND setting."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

log = logging.getLogger("linli.sms")


@dataclass
class SendResult:
    provider_id: str
    status: str = "sent"


class SendError(Exception):
    """A failed send. ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool, code: str = "") -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class Sender:
    name = "base"

    def send(self, to_phone: str, body: str, message_id: int) -> SendResult:
        raise NotImplementedError


class ConsoleSender(Sender):
    """Logs each message; the staff page 'Sent SMS' shows what went out."""

    name = "console"

    def send(self, to_phone: str, body: str, message_id: int) -> SendResult:
        log.info("SMS to %s: %s", to_phone, body)
        return SendResult(provider_id=f"console-{message_id}")


SENDERS: dict[str, type[Sender]] = {"console": ConsoleSender}


def get_sender() -> Sender:
    backend = current_app.config.get("SMS_BACKEND", "console")
    cached = current_app.extensions.get("linli_sender")
    if cached is not None and cached.name == backend:
        return cached
    try:
        sender = SENDERS[backend]()
    except KeyError:
        raise RuntimeError(
            f"unknown SMS_BACKEND {backend!r}; choose from {sorted(SENDERS)}"
        ) from None
    current_app.extensions["linli_sender"] = sender
    return sender
