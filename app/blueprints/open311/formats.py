"""GeoReport's two formats: the same answer as JSON or as XML (xml.etree escapes text; the
characters XML 1.0 cannot hold at all are dropped), and errors in the specification's form.
API answers set no cookie and are not cached by shared caches."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from flask import Response, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

# The element name of one item of each list, as the specification writes them.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def answer(data, fmt: str, root: str, status: int = 200) -> Response:
    """``data`` (a list or a dict) as JSON, or as XML under ``root``."""
    if fmt == "xml":
        element = ET.Element(root)
        _fill(element, root, data)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, "utf-8")
        response = Response(body, status, mimetype="text/xml")
    else:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        response = Response(body, status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def error(code: int, description: str, fmt: str) -> Response:
    return answer([{"code": code, "description": description}], fmt, "errors", code)


def request_format() -> str:
    """The format the caller asked for by its address's ending."""
    return "xml" if request.path.endswith(".xml") else "json"


def api_http_error(refusal: HTTPException) -> Response:
    """Werkzeug's refusals under /open311/ and /api/ in the specification's form, in the
    app's words (app/errors.py answers every one: an unknown address, a wrong method, a
    body too large, too many calls)."""
    code = refusal.code or 500
    words = {
        400: _("The request is malformed."),
        404: _("There is no such endpoint."),
        405: _("This endpoint does not take that method."),
        413: _("The request is too large."),
        429: _("Too many calls: wait a minute and try again."),
    }
    return error(
        code, str(words.get(code, _("Something went wrong on our side."))), request_format()
    )


def api_server_error() -> Response:
    """An unexpected failure in the API's form (app/errors.py has rolled back already)."""
    return error(500, _("Something went wrong on our side."), request_format())


def _fill(element: ET.Element, tag: str, value) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(ET.SubElement(element, key), key, inner)
    elif isinstance(value, list | tuple):
        item_tag = ITEM_TAGS.get(tag, "item")
        for inner in value:
            _fill(ET.SubElement(element, item_tag), item_tag, inner)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = _NOT_XML.sub("", str(value))
