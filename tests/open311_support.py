"""Helpers for the Open311 and JSON API tests: keys, both formats read alike, and a live
server on the test's own app (each database), for the PyPI client."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from contextlib import contextmanager

from werkzeug.serving import make_server

from app.extensions import db
from app.services import api_keys
from tests import factories

FORMATS = ("json", "xml")


def make_key(station, name: str = "12345 hotline", admin=None) -> tuple[str, object]:
    """A committed key of ``station``: (the secret, the key row)."""
    admin = admin or factories.make_user(roles=("station_admin",), station=station)
    made = api_keys.create_key(admin, name)
    db.session.commit()
    return made.secret, made.key


def read(response, fmt: str):
    """An answer as plain data whichever the format: JSON as is; XML as lists of dicts of
    text (each item element a dict of its children's text)."""
    if fmt == "json":
        return response.get_json()
    root = ET.fromstring(response.data)
    return _element(root)


LIST_TAGS = (
    "services",
    "service_requests",
    "errors",
    "endpoints",
    "formats",
    "attributes",
    "values",
)


def _element(element: ET.Element):
    """Lists where the specification has lists (so both formats read the same)."""
    children = list(element)
    if element.tag in LIST_TAGS:
        return [_element(child) for child in children]
    if not children:
        return element.text or ""
    return {child.tag: _element(child) for child in children}


def text_of(value) -> str:
    return "" if value is None else str(value)


def all_strings(data) -> list[str]:
    """Every value and key in an answer, as text."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.append(str(key))
            found += all_strings(value)
    elif isinstance(data, list):
        for value in data:
            found += all_strings(value)
    elif data is not None:
        found.append(str(data))
    return found


@contextmanager
def served(app):
    """The test's app on a free 127.0.0.1 port (what the test wrote must be committed)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="open311-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
