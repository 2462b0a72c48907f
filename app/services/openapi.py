"""The OpenAPI 3 document of the JSON API and of GeoReport v2's JSON form (issue 19),
served at /api/openapi.json and read out on the reference page. Tested against the live
endpoints with schemathesis (tests/blueprints/test_api_schema.py)."""

from __future__ import annotations

from app.models.vocab import RESIDENT_CATEGORIES
from app.services.openapi_schemas import SCHEMAS
from app.services.openapi_schemas import STR as _STR
from app.services.openapi_schemas import ref as _ref


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = _json({"type": "array", "items": _ref("Error")}, "Refused (the specification's errors)")


_WORDS = {
    400: "Bad input",
    403: "Bad or missing key",
    404: "Unknown id",
    413: "Body over 1 MB",
    429: "Too many calls",
}


def _answers(ok: dict, *codes: int, ok_code: str = "200") -> dict:
    codes = tuple(sorted({400, 429, *codes}))  # 400: input no endpoint takes (a NUL)
    return {ok_code: ok, **{str(c): {**_ERRORS, "description": _WORDS[c]} for c in codes}}


def _param(name: str, where: str, description: str, required: bool = False, **schema) -> dict:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": description,
        "schema": schema or dict(_STR),
    }


# A W3C time of 2000-2099 (days to the 28th: every month has them); without an offset: local.
W3C_TIME = {
    "type": "string",
    "pattern": (
        "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]"
        ":[0-5][0-9](Z|[+-](0[0-9]|1[0-2]):[0-5][0-9])?$"
    ),
}
CODES = "|".join(sorted(RESIDENT_CATEGORIES))

API_KEY = _param("api_key", "query", "A key made on the station's API keys page.", True)
READER_KEY = _param(
    "api_key",
    "query",
    "Optional: a key of the serving station also reads descriptions and the professional "
    "categories (crisis, emotional support).",
)
JURISDICTION = _param(
    "jurisdiction_id",
    "query",
    "The administrative code of a county or township.",
    pattern="^[0-9]{1,12}$",
)


_FORM_FIELDS = {
    "api_key": {**_STR, "description": "A key made on the station's API keys page."},
    "jurisdiction_id": {**_STR, "pattern": "^[0-9]{1,12}$"},
    "service_code": {"type": "string", "enum": sorted(RESIDENT_CATEGORIES)},
    "lat": {**_STR, "description": "WGS-84 latitude (with long)."},
    "long": {**_STR, "description": "WGS-84 longitude (with lat)."},
    "address_string": {**_STR, "maxLength": 300},
    "description": {**_STR, "maxLength": 3000},
    "first_name": {**_STR, "maxLength": 40},
    "last_name": {**_STR, "maxLength": 40},
    "phone": {**_STR, "maxLength": 40},
    "media_url": {**_STR, "maxLength": 600},
    "attribute[for_whom]": _STR,
    "attribute[special_groups][]": {"type": "array", "items": _STR, "maxItems": 4},
    "attribute[wanted_at]": _STR,
    "attribute[wanted_note]": _STR,
    "attribute[village_code]": _STR,
}

FILE_REQUEST = {
    "summary": "File a request",
    "description": (
        "Through the same intake as the web form and the SMS, with channel api; needs an "
        "api_key, and lat and long, address_string or attribute[village_code]."
    ),
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code"],
                    "properties": _FORM_FIELDS,
                }
            }
        },
    },
    "responses": _answers(
        _json(
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["service_request_id"],
                    "properties": {
                        "service_request_id": _STR,
                        "token": _STR,
                        "service_notice": _STR,
                        "account_id": _STR,
                    },
                },
            },
            "Filed",
        ),
        403,
        404,
        413,
        ok_code="201",
    ),
}


def _get(summary: str, description: str, ok: dict, parameters: list, *codes: int) -> dict:
    return {
        "get": {
            "summary": summary,
            "description": description,
            "parameters": parameters,
            "responses": _answers(ok, *codes),
        }
    }


def document(base_url: str) -> dict:
    requests = {"type": "array", "items": _ref("ServiceRequest")}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Linli API",
            "version": "1.0",
            "description": (
                "Open311 GeoReport v2 (JSON form; every endpoint also answers as .xml) and "
                "Linli's own JSON API. No answer carries a name or a phone number; public "
                "reads carry no description and place every request at its village's "
                "centre; crisis and emotional support requests are not public at all. A key "
                "is the api_key parameter or the X-Api-Key header."
            ),
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/open311/v2/discovery.json": _get(
                "Discovery",
                "Where the GeoReport v2 endpoint is.",
                _json({"type": "object"}, "The discovery document"),
                [],
            ),
            "/open311/v2/services.json": _get(
                "Services",
                "One service per category a resident may ask for.",
                _json({"type": "array", "items": _ref("Service")}, "The services"),
                [JURISDICTION],
                404,
            ),
            "/open311/v2/services/{service_code}.json": _get(
                "Service definition",
                "The attributes a request of this service may carry.",
                _json(_ref("ServiceDefinition"), "The definition"),
                [
                    _param("service_code", "path", "A service_code of the services list."),
                    JURISDICTION,
                ],
                404,
            ),
            "/open311/v2/requests.json": {
                **_get(
                    "Requests",
                    "Requests of the last 90 days (or the dates given; 90 days from start_date "
                    "alone), newest first, at most 500.",
                    _json(requests, "The requests"),
                    [
                        _param(
                            "service_request_id",
                            "query",
                            "Ids, comma separated (override the other filters).",
                            type="string",
                            pattern="^[0-9]{1,9}(,[0-9]{1,9}){0,9}$",
                        ),
                        _param(
                            "service_code",
                            "query",
                            "Service codes, comma separated.",
                            type="string",
                            pattern=f"^({CODES})(,({CODES})){{0,4}}$",
                        ),
                        _param("start_date", "query", "W3C date and time.", **W3C_TIME),
                        _param("end_date", "query", "W3C date and time.", **W3C_TIME),
                        _param(
                            "status",
                            "query",
                            "open, closed or both, comma separated.",
                            type="string",
                            enum=["open", "closed", "open,closed"],
                        ),
                        JURISDICTION,
                        READER_KEY,
                    ],
                    400,
                    404,
                ),
                "post": FILE_REQUEST,
            },
            "/open311/v2/requests/{service_request_id}.json": _get(
                "One request",
                "A request by its id.",
                _json(requests, "The request (a list of one)"),
                [
                    _param("service_request_id", "path", "The request's id."),
                    JURISDICTION,
                    READER_KEY,
                ],
                404,
            ),
            "/open311/v2/tokens/{token}.json": _get(
                "Token",
                "The request id of a token (here the token is the id).",
                _json({"type": "array", "items": {"type": "object"}}, "The id"),
                [_param("token", "path", "The token of a POST."), JURISDICTION, READER_KEY],
                404,
            ),
            "/api/v1/requests/{service_request_id}/timeline": _get(
                "Public timeline",
                "What happened to a request and when; never who, never the notes.",
                _json(_ref("Timeline"), "The timeline"),
                [_param("service_request_id", "path", "The request's id."), READER_KEY],
                404,
            ),
            "/api/v1/stations/{station_id}/open-requests": _get(
                "A station's open requests",
                "For a key of that station only.",
                _json(_ref("StationRequests"), "The open requests"),
                [_param("station_id", "path", "The station's id.", type="integer"), API_KEY],
                403,
            ),
            "/api/v1/figures": _get(
                "The county's figures",
                "The dashboard's figures of a month, for a county centre's key.",
                _json(_ref("Figures"), "The figures"),
                [
                    _param(
                        "month",
                        "query",
                        "YYYY-MM; default this month.",
                        type="string",
                        pattern="^20[0-2][0-9]-(0[1-9]|1[0-2])$",
                    ),
                    API_KEY,
                ],
                400,
                403,
            ),
        },
        "components": {"schemas": SCHEMAS},
    }
