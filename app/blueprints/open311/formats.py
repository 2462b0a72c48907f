"""GeoReport's two formats: the same answer as JSON or as XML (xml.etree escapes text; the
characters XML 1.0 cannot hold at all are dropped), and errors in the specification's form.
API answers set no cookie and are not cached by shared caches."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from flask import Response

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
