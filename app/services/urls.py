"""Small helpers about URLs: safe redirects, and the base address of every link we send.

Links in pages and SMS start with ``public_base_url()``:

1. ``PUBLIC_BASE_URL`` when it is set (production must set it);
2. else, inside a web request, the address the request came to, but only when its host is
   local: ``localhost``, a loopback or private-network IP address, or the host Linli says
   it serves (``SERVED_BASE_URL``, ``SERVER_NAME``). Anyone can send any ``Host`` header,
   and a forged one must never put a stranger's link into an SMS to a resident;
3. else ``SERVED_BASE_URL`` (``make run`` sets it for its worker to the address it serves),
   else ``http://`` + ``SERVER_NAME``, else ``http://127.0.0.1:5000``.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from werkzeug.exceptions import SecurityError

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


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


def _fallback_base_url() -> str:
    config = current_app.config
    if config.get("SERVED_BASE_URL"):
        return config["SERVED_BASE_URL"].rstrip("/")
    if config.get("SERVER_NAME"):
        scheme = config.get("PREFERRED_URL_SCHEME") or "http"
        return f"{scheme}://{config['SERVER_NAME']}"
    return DEFAULT_BASE_URL


def _hostname(netloc: str) -> str:
    return (urlsplit(f"//{netloc}").hostname or "").lower()


def _is_local_host(host: str) -> bool:
    """localhost, loopback and private-network addresses, and the host we say we serve."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and (address.is_loopback or address.is_private):
        return True
    config = current_app.config
    known = {_hostname(urlsplit(config.get("SERVED_BASE_URL") or "").netloc)}
    known.add(_hostname(config.get("SERVER_NAME") or ""))
    return host in known - {""}


def public_base_url() -> str:
    """The scheme and host (no trailing slash) that links in pages and SMS start with."""
    configured = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    if has_request_context():
        try:
            host = _hostname(request.host)
        except SecurityError:  # a host Flask refuses (TRUSTED_HOSTS) is not used either
            host = ""
        if host and _is_local_host(host):
            return request.host_url.rstrip("/")
    return _fallback_base_url()
