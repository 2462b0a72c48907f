"""The address a web request came to, for the links it sends (app/services/links.py).

Without ``PUBLIC_BASE_URL``, a link in a page or an SMS follows the address the request
came to, but only when its host is local: ``localhost``, a loopback or private-network IP
address, or the host Linli says it serves (``SERVED_BASE_URL``, ``SERVER_NAME``). Anyone can
send any ``Host`` header, and a forged one must never put a stranger's link into an SMS to
a resident. This is the web layer's answer; the services ask for it through
``app.extensions[links.SERVED_FROM]`` and never read the request themselves.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request
from werkzeug.exceptions import SecurityError

from app.services import links


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


def served_from() -> str | None:
    """The scheme and host this request came to, when it is local; else None."""
    if not has_request_context():
        return None
    try:
        host = _hostname(request.host)
    except SecurityError:  # a host Flask refuses (TRUSTED_HOSTS) is not used either
        return None
    if host and _is_local_host(host):
        return request.host_url.rstrip("/")
    return None


def init_app(app: Flask) -> None:
    app.extensions[links.SERVED_FROM] = served_from
