"""Small helpers about URLs: safe redirects. The links we send are built in
app/services/links.py (base address: PUBLIC_BASE_URL, or the local address a request came
to, app/blueprints/served.py)."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a plain path on this site, else None (the caller's default).

    Every place that reads ``?next=`` goes through here. Refused: other sites
    (``https://x``, ``//x``), schemes (``javascript:``), backslashes (browsers read
    ``/\\x`` as ``//x``), and control or line-break characters, which browsers drop
    (``/\\t/x`` is ``//x``) and which a Location header cannot carry at all.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(_is_control(ch) for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _is_control(ch: str) -> bool:
    """Control, format and separator characters (C0, DEL, C1, U+2028 …) and spaces."""
    return ch.isspace() or unicodedata.category(ch)[0] in ("C", "Z")
