"""Open311 GeoReport v2 under /open311/v2/: every endpoint as .json and .xml, errors in the
specification's form (400 bad input, 403 bad key, 404 unknown id, 413 too large). Reads
need no key and carry no personal data (app/services/open311.public_request; a key of the
serving station reads the description too); filing needs a station's key. A key is the
``api_key`` parameter or the ``X-Api-Key`` header. Rate limits count per key once it is
a live key (per address otherwise), and per address across the whole API, in Redis when
REDIS_URL is set."""

from __future__ import annotations

from flask import current_app, request

from app.blueprints.open311 import bp
from app.blueprints.open311.formats import answer, error, request_format
from app.extensions import csrf, db, limiter
from app.models.base import utcnow
from app.services import api_keys, links, open311, open311_filing
from app.services.open311 import Open311Error

V2 = "/open311/v2"
FORMAT = "<any(json, xml):fmt>"


def api_secret() -> str:
    """The caller's key as sent: the ``X-Api-Key`` header, else the ``api_key`` parameter
    (of the form too for a POST, read within the API's body limit)."""
    header = request.headers.get("X-Api-Key", "")
    if header:
        return header
    if request.method == "POST":
        return request.values.get("api_key", "")
    return request.args.get("api_key", "")


def caller():
    """The live key this call was made with, or None (looked up once per call: kept on
    the request, as an app context, and so ``g``, may outlive one)."""
    if not hasattr(request, "linli_api_key"):
        request.linli_api_key = api_keys.authenticate(api_secret())
    return request.linli_api_key


def reader() -> open311.Reader | None:
    """Who reads with this call's key, for what a key of the serving station may see."""
    key = caller()
    return open311.Reader(key.station_id, key.created_by_id) if key is not None else None


def _address() -> str:
    return "ip:" + (request.remote_addr or "")


def key_or_address() -> str:
    """Whose rate limit a call counts against: its key once it authenticates (by id: the
    secret is never kept), else its address, so made-up keys buy no more calls."""
    key = caller()
    return f"key:{key.id}" if key is not None else _address()


def _read_limit() -> str:
    return current_app.config.get("OPEN311_READ_LIMIT", "120/minute")


def _write_limit() -> str:
    return current_app.config.get("OPEN311_WRITE_LIMIT", "30/minute")


def _address_limit() -> str:
    return current_app.config.get("OPEN311_ADDRESS_LIMIT", "600/minute")


# Per key; and per address whatever the key, one count across every endpoint of the API.
_per_address = limiter.shared_limit(_address_limit, scope="open311-address", key_func=_address)


@bp.url_value_preprocessor
def _bounded_body(_endpoint, _values) -> None:
    """The API's own body limit (runs before the rate limiter reads the form)."""
    request.max_content_length = current_app.config.get("API_MAX_CONTENT_LENGTH", 1024 * 1024)


def read_limited(view):
    return _per_address(limiter.limit(_read_limit, key_func=key_or_address)(view))


def write_limited(view):
    return _per_address(limiter.limit(_write_limit, key_func=key_or_address)(view))


@bp.errorhandler(Open311Error)
def open311_error(refusal: Open311Error):
    db.session.rollback()
    return error(refusal.code, refusal.message, request_format())


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
    found = open311.find_requests(query, jurisdiction, utcnow(), reader())
    return answer(found, fmt, "service_requests")


@bp.post(f"{V2}/requests.{FORMAT}")
@csrf.exempt
@write_limited
def requests_create(fmt: str):
    jurisdiction = open311.check_jurisdiction(request.values.get("jurisdiction_id"))
    form = request.form
    filed = open311_filing.file_request(caller(), form, _attributes(form), jurisdiction)
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
    found = open311.one_request(request_id, jurisdiction, reader())
    return answer(found, fmt, "service_requests")


@bp.get(f"{V2}/tokens/<token>.{FORMAT}")
@read_limited
def token(token: str, fmt: str):
    open311.check_jurisdiction(request.args.get("jurisdiction_id"))
    return answer(open311.token(token, reader()), fmt, "service_requests")
