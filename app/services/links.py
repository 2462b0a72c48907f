"""Every URL that leaves the app (in an SMS, a TwiML reply, a Twilio callback) is built here,
from the route's endpoint and the base address, so no path is written twice.

The base address (scheme and host, no trailing slash):

1. ``PUBLIC_BASE_URL`` when it is set (production must set it);
2. else the address of the web request being served, when the web layer vouches for it
   (``app/blueprints/served.py``: only local hosts, never a forged ``Host`` header). The
   web layer installs that answer as ``app.extensions[SERVED_FROM]``, a function that
   returns the address or None; services never read the request themselves;
3. else ``SERVED_BASE_URL`` (``make run`` sets it for its worker to the address it serves),
   else ``http://`` + ``SERVER_NAME``, else ``http://127.0.0.1:5000``.

Paths come from the app's ``url_map`` (no request needed), so a job in the worker builds
the same link a page does.
"""

from __future__ import annotations

from flask import current_app

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
SERVED_FROM = "linli.served_from"  # app.extensions key: () -> str | None, from the web layer


def fallback_base_url() -> str:
    """Step 3 above: the address Linli says it serves, from config alone."""
    config = current_app.config
    if config.get("SERVED_BASE_URL"):
        return config["SERVED_BASE_URL"].rstrip("/")
    if config.get("SERVER_NAME"):
        scheme = config.get("PREFERRED_URL_SCHEME") or "http"
        return f"{scheme}://{config['SERVER_NAME']}"
    return DEFAULT_BASE_URL


def base_url() -> str:
    """The scheme and host (no trailing slash) every link we send starts with."""
    configured = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    served_from = current_app.extensions.get(SERVED_FROM)
    served = served_from() if served_from is not None else None
    return served or fallback_base_url()


def path_for(endpoint: str, **values) -> str:
    """The path of ``endpoint`` (``/t/K7M3QXA``), built without a request."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def external_url(endpoint: str, **values) -> str:
    return base_url() + path_for(endpoint, **values)


# --- the links we send --------------------------------------------------------------------


def tracking_link(code: str) -> str:
    """The resident's page of a request (the short link in their SMS)."""
    return external_url("public.track_link", code=code)


def offer_link(offer_id: int) -> str:
    """A volunteer's offer: see the task, take it or say no."""
    return external_url("volunteer.offer", offer_id=offer_id)


def claim_link(claim_id: int) -> str:
    """A volunteer's taken task: the person's details, check in and out."""
    return external_url("volunteer.claim_page", claim_id=claim_id)


def tasks_link() -> str:
    """The volunteer's list of nearby tasks."""
    return external_url("volunteer.tasks")


def console_request_link(request_id: int) -> str:
    """A request's page in the station console."""
    return external_url("console.request_page", request_id=request_id)


def county_link() -> str:
    """The county supervisor's page of escalated requests."""
    return external_url("console.county")


def visits_link() -> str:
    """The station's list of home visits due."""
    return external_url("console.visits")


def reset_link() -> str:
    """Where a person who forgot their password starts again."""
    return external_url("auth.reset")


def status_callback_url(message_id: int | None = None) -> str:
    """Where Twilio posts delivery reports (``?m=`` finds the row even before the worker
    has stored Twilio's id)."""
    url = external_url("sms.status")
    return f"{url}?m={message_id}" if message_id is not None else url
