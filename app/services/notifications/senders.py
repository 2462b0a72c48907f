"""SMS senders behind one small interface, chosen by the SMS_BACKEND setting.

``console`` logs (the default, for a laptop); ``twilio`` sends through Twilio's REST API
with the official library. A sender raises SendError: ``permanent`` failures are recorded
and never retried, temporary ones are retried by the dispatcher with backoff.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from flask import current_app

from app.services import links

log = logging.getLogger("linli.sms")
# The twilio library's HTTP client logs each request and its answer at INFO (a worker that
# logs at INFO would write a dozen lines a text); it logs to this one instead.
HTTP_LOG = logging.getLogger("linli.sms.twilio_http")
HTTP_LOG.setLevel(logging.WARNING)

# Twilio error codes that mean "this number will never take a message from us".
INVALID_NUMBER = "21211"
UNSUBSCRIBED = "21610"
PERMANENT_CODES = {
    INVALID_NUMBER: "invalid phone number",
    "21614": "not a mobile number",
    UNSUBSCRIBED: "the recipient replied STOP",
    "21612": "the number cannot be reached from our sender",
    "21408": "no permission to send to this region",
}


@dataclass
class SendResult:
    provider_id: str
    status: str = "sent"


class SendError(Exception):
    """A failed send. ``permanent`` failures are not retried; ``opted_out`` marks the
    number as unsubscribed (Twilio's 21610); ``timed_out``: the provider did not answer
    in time (the next call may hang as long)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: str = "",
        opted_out: bool = False,
        timed_out: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.opted_out = opted_out
        self.timed_out = timed_out


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


class TwilioSender(Sender):
    """Twilio's REST API through the twilio library (``TWILIO_*`` settings)."""

    name = "twilio"

    def __init__(self) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        config = current_app.config
        sid, token = config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]
        if not sid or not token:
            raise RuntimeError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        self.from_ = config.get("TWILIO_FROM", "")
        self.messaging_service_sid = config.get("TWILIO_MESSAGING_SERVICE_SID", "")
        if not self.from_ and not self.messaging_service_sid:
            raise RuntimeError(
                "SMS_BACKEND=twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"
            )
        # No default timeout in the library: a hung provider would hang the worker. Its
        # logger writes every request and response at INFO: ours keeps only warnings.
        http_client = TwilioHttpClient(timeout=float(config["TWILIO_TIMEOUT"]), logger=HTTP_LOG)
        self.client = Client(sid, token, http_client=http_client)
        base_url = config.get("TWILIO_API_BASE_URL", "")
        if base_url:
            self.client.api.base_url = base_url.rstrip("/")
        _read_environment_once(http_client, self.client.api.base_url)

    def send(self, to_phone: str, body: str, message_id: int) -> SendResult:
        import requests
        from twilio.base.exceptions import TwilioException

        options: dict[str, str] = {
            "to": to_phone,
            "body": body,
            "status_callback": links.status_callback_url(message_id),
        }
        if self.messaging_service_sid:
            options["messaging_service_sid"] = self.messaging_service_sid
        else:
            options["from_"] = self.from_
        try:
            message = self.client.messages.create(**options)
        except TwilioException as error:
            # TwilioRestException and (newer libraries) TwilioServiceException both carry
            # .status and .code; a bare TwilioException carries neither.
            raise classify_twilio_error(
                getattr(error, "status", None), getattr(error, "code", None), error
            ) from error
        except requests.exceptions.Timeout as error:
            raise SendError(
                f"Twilio did not answer in time: {error}", permanent=False, timed_out=True
            ) from error
        except requests.exceptions.RequestException as error:
            raise SendError(f"cannot reach Twilio: {error}", permanent=False) from error
        return SendResult(provider_id=message.sid, status="sent")


def _read_environment_once(http_client, api_url: str) -> None:
    """requests reads the proxy and CA-bundle variables from the environment at every
    request (a scan of every variable, each time: a fifth of the library's own cost per
    text here). Read them once, as the sender is built, and give them to its session."""
    import requests.utils

    session = http_client.session
    http_client.proxy = requests.utils.get_environ_proxies(api_url) | dict(http_client.proxy)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


def classify_twilio_error(status: int | None, code: object, error: Exception) -> SendError:
    """Permanent: 21211, 21610 and any other 4xx but 401/403/429. Temporary: those three,
    5xx, and errors without a status."""
    code_text = str(code) if code not in (None, "") else (str(status) if status else "")
    detail = getattr(error, "msg", "") or getattr(error, "detail", "") or str(error)
    if code_text in PERMANENT_CODES:
        reason = f"{PERMANENT_CODES[code_text]} (Twilio {code_text})"
        return SendError(
            reason, permanent=True, code=code_text, opted_out=code_text == UNSUBSCRIBED
        )
    if status is not None and int(status) in (401, 403):
        # Our credentials or account, not the message: keep it until someone fixes the setup.
        return SendError(
            f"Twilio refused our credentials (check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN): "
            f"HTTP {status} {detail}"[:500],
            permanent=False,
            code=code_text,
        )
    if status is not None and 400 <= int(status) < 500 and int(status) != 429:
        return SendError(
            f"Twilio refused the message: HTTP {status} {detail}"[:500],
            permanent=True,
            code=code_text,
        )
    return SendError(
        f"Twilio is busy or down: HTTP {status or '-'} {detail}"[:500],
        permanent=False,
        code=code_text,
    )


SENDERS: dict[str, type[Sender]] = {"console": ConsoleSender, "twilio": TwilioSender}

# Settings a cached sender was built from: a change (tests, reload) builds a new one.
_SENDER_SETTINGS = (
    "SMS_BACKEND",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_API_BASE_URL",
    "TWILIO_TIMEOUT",
)


def get_sender() -> Sender:
    backend = current_app.config.get("SMS_BACKEND", "console")
    key = tuple(current_app.config.get(name) for name in _SENDER_SETTINGS)
    cached = current_app.extensions.get("linli_sender")
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        factory = SENDERS[backend]
    except KeyError:
        raise RuntimeError(
            f"unknown SMS_BACKEND {backend!r}; choose from {sorted(SENDERS)}"
        ) from None
    sender = factory()
    current_app.extensions["linli_sender"] = (key, sender)
    return sender
