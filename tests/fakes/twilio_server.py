"""A fake Twilio REST API on 127.0.0.1, for tests that use the real twilio library.

    with FakeTwilio() as fake:
        app.config["TWILIO_API_BASE_URL"] = fake.base_url
        fake.fail("+8613800000001", "invalid")     # that number answers 400 / 21211
        fake.fail_next(3, "unavailable")           # the next three requests answer 503
        fake.set_default("hang")                   # every request hangs past the timeout

It answers POST /2010-04-01/Accounts/<sid>/Messages.json like Twilio (201, JSON, sid
"SM…", status "queued") and records every request it received (``fake.received``).

``python -m tests.fakes.twilio_server [--default hang] [--hang-seconds 5]`` serves it in a
process of its own (the SMS bench: client and server then do not share one interpreter),
prints its base URL on the first line, and stops when its stdin closes.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

# behaviour -> (HTTP status, Twilio error code, message)
ERRORS = {
    "invalid": (400, 21211, "The 'To' number is not a valid phone number."),
    "unsubscribed": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "bad_request": (400, 21602, "Message body is required."),
    "rate_limited": (429, 20429, "Too Many Requests"),
    "server_error": (500, 20500, "Internal Server Error"),
    "unavailable": (503, 20503, "Service Unavailable"),
}
BEHAVIOURS = {"ok", "hang", *ERRORS}


@dataclass
class Received:
    account_sid: str
    to: str
    body: str
    from_: str
    messaging_service_sid: str
    status_callback: str
    authorised: bool
    answered: int = 0  # HTTP status we answered (0 while hanging)
    sid: str = ""
    at: float = field(default_factory=time.monotonic)


class FakeTwilio:
    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "test-token"):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.received: list[Received] = []
        self.default = "ok"
        self.per_number: dict[str, str] = {}
        self.queue: list[str] = []  # behaviours for the next requests, in order
        self.delay = 0.0  # seconds every answer waits (a slow provider)
        self.hang_seconds = 5.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control -------------------------------------------------------------------------
    def set_default(self, behaviour: str) -> None:
        assert behaviour in BEHAVIOURS, behaviour
        self.default = behaviour

    def fail(self, phone: str, behaviour: str) -> None:
        assert behaviour in BEHAVIOURS, behaviour
        self.per_number[phone] = behaviour

    def fail_next(self, count: int, behaviour: str) -> None:
        assert behaviour in BEHAVIOURS, behaviour
        with self._lock:
            self.queue.extend([behaviour] * count)

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.queue.clear()
        self.per_number.clear()
        self.default, self.delay = "ok", 0.0

    def delivered(self) -> list[Received]:
        """Requests Twilio accepted (201)."""
        return [r for r in list(self.received) if r.answered == 201]

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- life ----------------------------------------------------------------------------
    def start(self) -> FakeTwilio:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- answering -----------------------------------------------------------------------
    def _behaviour_for(self, to: str) -> str:
        with self._lock:
            if self.queue:
                return self.queue.pop(0)
        return self.per_number.get(to, self.default)

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms ACK wait

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        fake = self.fake
        parts = self.path.split("?")[0].strip("/").split("/")
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if len(parts) != 4 or parts[0] != "2010-04-01" or parts[3] != "Messages.json":
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            return
        record = Received(
            account_sid=parts[2],
            to=form.get("To", ""),
            body=form.get("Body", ""),
            from_=form.get("From", ""),
            messaging_service_sid=form.get("MessagingServiceSid", ""),
            status_callback=form.get("StatusCallback", ""),
            authorised=fake._authorised(self.headers.get("Authorization", "")),
        )
        with fake._lock:
            fake.received.append(record)
        if not record.authorised or record.account_sid != fake.account_sid:
            record.answered = 401
            self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        behaviour = fake._behaviour_for(record.to)
        if fake.delay:
            time.sleep(fake.delay)
        if behaviour == "hang":
            time.sleep(fake.hang_seconds)
            behaviour = "unavailable"
        if behaviour in ERRORS:
            status, code, message = ERRORS[behaviour]
            record.answered = status
            self._answer(
                status,
                {
                    "code": code,
                    "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                },
            )
            return
        record.sid = "SM" + uuid.uuid4().hex
        record.answered = 201
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        self._answer(
            201,
            {
                "account_sid": fake.account_sid,
                "api_version": "2010-04-01",
                "body": record.body,
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": record.from_ or None,
                "messaging_service_sid": record.messaging_service_sid or None,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": record.sid,
                "status": "queued",
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{record.sid}/Media.json"
                },
                "to": record.to,
                "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{record.sid}.json",
            },
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Twilio REST API on 127.0.0.1.")
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--auth-token", default="test-token")
    parser.add_argument("--default", default="ok", choices=sorted(BEHAVIOURS))
    parser.add_argument("--hang-seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    fake = FakeTwilio(args.account_sid, args.auth_token)
    fake.set_default(args.default)
    fake.hang_seconds = args.hang_seconds
    with fake:
        print(fake.base_url, flush=True)
        sys.stdin.read()  # until whoever started us closes our stdin (or exits)


if __name__ == "__main__":
    main()
