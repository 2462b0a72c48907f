"""Open311 GeoReport v2 under /open311/v2/: every endpoint as .json and .xml, errors in the
specification's form (400 bad input, 403 bad key, 404 unknown id). Reads need no key and
carry no personal data (app/services/open311.public_request); filing needs a station's key.
Rate limits count per key (per address without one), in Redis when REDIS_URL is set."""

from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from app.blueprints.open311 import bp
from app.blueprints.open311.formats import answer, error
from app.extensions import csrf, db, limiter
from app.models.base import utcnow
from app.services import api_keys, links, open311, open311_filing
from app.services.open311 import Open311Error

V2 = "/open311/v2"
FORMAT = "<any(json, xml):fmt>"


def key_or_address() -> str:
    """Whose rate limit a call counts against: its key (hashed: the key itself is never
    kept, not even in Redis), else its address."""
    secret = request.values.get("api_key", "")
    if secret:
        return "key:" + hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:32]
    return "ip:" + (request.remote_addr or "")


def _read_limit() -> str:
    return current_app.config.get("OPEN311_READ_LIMIT", "120/minute")


def _write_limit() -> str:
    return current_app.config.get("OPEN311_WRITE_LIMIT", "30/minute")


def _address_limit() -> str:
    return current_app.config.get("OPEN311_ADDRESS_LIMIT", "600/minute")


# Per key; and per address whatever the key, so new made-up keys buy no more calls.
_per_address = limiter.limit(_address_limit, key_func=lambda: "ip:" + (request.remote_addr or ""))


def read_limited(view):
    return _per_address(limiter.limit(_read_limit, key_func=key_or_address)(view))


def write_limited(view):
    return _per_address(limiter.limit(_write_limit, key_func=key_or_address)(view))


def _fmt() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


@bp.errorhandler(Open311Error)
def open311_error(refusal: Open311Error):
    db.session.rollback()
    return error(refusal.code, refusal.message, _fmt())


@bp.errorhandler(RateLimitExceeded)
def too_many(_error):
    return error(429, _("Too many calls: wait a minute and try again."), _fmt())


@bp.errorhandler(HTTPException)
def http_error(refusal: HTTPException):
    return error(refusal.code or 500, refusal.description or refusal.name, _fmt())


@bp.get(f"{V2}/discovery.{FORMAT}")
@read_limited
def discovery(fmt: str):
    return answer(open311.discovery(links.base_url()), fmt, "discovery")


@bp.get(f"{V2}/services.{FORMAT}")
@read_limited
def services(fmt: str):
    open311.check_jurisdiction(request.args.get("jurisdiction_id"))
    return answer(open311.services(), fmt, "services")


@bp.get(f"{V2}/services/<service_code>.{FORMAT}")
@read_limited
def service_definition(service_code: str, fmt: str):
    open311.check_jurisdiction(request.args.get("jurisdiction_id"))
    return answer(open311.service_definition(service_code), fmt, "service_definition")


@bp.get(f"{V2}/requests.{FORMAT}")
@read_limited
def requests_list(fmt: str):
    jurisdiction = open311.check_jurisdiction(request.args.get("jurisdiction_id"))
    query = open311.parse_query(request.args)
    found = open311.find_requests(query, jurisdiction, utcnow())
    return answer(found, fmt, "service_requests")


@bp.post(f"{V2}/requests.{FORMAT}")
@csrf.exempt
@write_limited
def requests_create(fmt: str):
    open311.check_jurisdiction(request.values.get("jurisdiction_id"))
    key = api_keys.authenticate(request.values.get("api_key"))
    filed = open311_filing.file_request(key, request.form, _attributes(request.form))
    return answer(open311_filing.created(filed), fmt, "service_requests", 201)


def _attributes(form) -> dict[str, list[str]]:
    """``attribute[code]`` and ``attribute[code][]`` fields, by code."""
    found: dict[str, list[str]] = {}
    for name in form:
        if name.startswith("attribute[") and "]" in name:
            code = name[len("attribute[") : name.index("]")]
            found.setdefault(code, []).extend(form.getlist(name))
    return found


@bp.get(f"{V2}/requests/<request_id>.{FORMAT}")
@read_limited
def request_detail(request_id: str, fmt: str):
    jurisdiction = open311.check_jurisdiction(request.args.get("jurisdiction_id"))
    return answer(open311.one_request(request_id, jurisdiction), fmt, "service_requests")


@bp.get(f"{V2}/tokens/<token>.{FORMAT}")
@read_limited
def token(token: str, fmt: str):
    open311.check_jurisdiction(request.args.get("jurisdiction_id"))
    return answer(open311.token(token), fmt, "service_requests")


@bp.route(f"{V2}/<path:rest>", methods=["GET", "POST"])
@csrf.exempt
def unknown(rest: str):
    """Any other address under /open311/v2/: 404 in the specification's form."""
    return error(404, _("There is no such endpoint."), _fmt())
