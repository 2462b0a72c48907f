"""The OpenAPI 3 document of the JSON API and of GeoReport v2's JSON form (issue 19),
served at /api/openapi.json and read out on the reference page. Tested against the live
endpoints with schemathesis (tests/blueprints/test_api_schema.py)."""

from __future__ import annotations

from app.models.vocab import CATEGORIES, GROUP_BITS, RESIDENT_CATEGORIES, STATUSES

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_NULLABLE_NUM = {"type": ["number", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = _json({"type": "array", "items": _ref("Error")}, "Refused (the specification's errors)")


def _answers(ok: dict, *codes: int) -> dict:
    codes = tuple(sorted({400, 429, *codes}))  # 400: input no endpoint takes (a NUL)
    words = {400: "Bad input", 403: "Bad or missing key", 404: "Unknown id", 429: "Too many calls"}
    return {"200": ok, **{str(code): {**_ERRORS, "description": words[code]} for code in codes}}


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
CODES = "|".join(sorted(CATEGORIES))

API_KEY = _param("api_key", "query", "A key made on the station's API keys page.", True)
JURISDICTION = _param(
    "jurisdiction_id",
    "query",
    "The administrative code of a county or township.",
    pattern="^[0-9]{1,12}$",
)

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": _INT, "description": _STR},
    },
    "ServiceRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["service_request_id", "status", "service_code", "requested_datetime"],
        "properties": {
            "service_request_id": _STR,
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": _STR,
            "service_name": _STR,
            "service_code": {"type": "string", "enum": sorted(CATEGORIES)},
            "description": _STR,
            "agency_responsible": _STR,
            "service_notice": _STR,
            "requested_datetime": _STR,
            "updated_datetime": _STR,
            "expected_datetime": _STR,
            "address": _STR,
            "address_id": _STR,
            "zipcode": _STR,
            "lat": _NULLABLE_NUM,
            "long": _NULLABLE_NUM,
            "media_url": _STR,
            "detailed_status": {"type": "string", "enum": sorted(STATUSES)},
            "urgency": _STR,
        },
    },
    "Service": {
        "type": "object",
        "required": ["service_code", "service_name", "metadata", "type"],
        "properties": {
            "service_code": {"type": "string", "enum": sorted(RESIDENT_CATEGORIES)},
            "service_name": _STR,
            "description": _STR,
            "metadata": {"type": "boolean"},
            "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
            "keywords": _STR,
            "group": _STR,
        },
    },
    "ServiceDefinition": {
        "type": "object",
        "required": ["service_code", "attributes"],
        "properties": {
            "service_code": _STR,
            "attributes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "datatype", "variable", "required", "order"],
                    "properties": {
                        "variable": {"type": "boolean"},
                        "code": _STR,
                        "datatype": {
                            "type": "string",
                            "enum": [
                                "string",
                                "number",
                                "datetime",
                                "text",
                                "singlevaluelist",
                                "multivaluelist",
                            ],
                        },
                        "required": {"type": "boolean"},
                        "datatype_description": _STR,
                        "order": _INT,
                        "description": _STR,
                        "values": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"key": _STR, "name": _STR}},
                        },
                    },
                },
            },
        },
    },
    "Timeline": {
        "type": "object",
        "required": ["service_request_id", "status", "steps"],
        "properties": {
            "service_request_id": _STR,
            "status": {"type": "string", "enum": ["open", "closed"]},
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["at", "action", "label", "status"],
                    "properties": {"at": _STR, "action": _STR, "label": _STR, "status": _STR},
                },
            },
        },
    },
    "StationRequests": {
        "type": "object",
        "required": ["station_id", "station_name", "requests"],
        "properties": {
            "station_id": _INT,
            "station_name": _STR,
            "requests": {"type": "array", "items": _ref("ServiceRequest")},
        },
    },
    "Figures": {
        "type": "object",
        "required": ["start", "end", "person_times", "hours", "requests_received", "stations"],
        "properties": {
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "person_times": _INT,
            "hours": _NUM,
            "by_category": {"type": "object", "additionalProperties": {"type": "object"}},
            "by_group": {
                "type": "object",
                "properties": {code: _INT for code in GROUP_BITS},
            },
            "requests_received": _INT,
            "requests_by_channel": {"type": "object", "additionalProperties": _INT},
            "requests_by_status": {"type": "object", "additionalProperties": _INT},
            "volunteers_active": _INT,
            "teams_active": _INT,
            "satisfaction_average": _NULLABLE_NUM,
            "visits_done": _INT,
            "visits_overdue": _INT,
            "stations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "station_id": _INT,
                        "name": _STR,
                        "person_times": _INT,
                        "hours": _NUM,
                        "requests": _INT,
                    },
                },
            },
        },
    },
}


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
    "responses": {
        "201": _json(
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
        **{
            str(code): {**_ERRORS, "description": words}
            for code, words in (
                (400, "Bad input"),
                (403, "Bad or missing key"),
                (404, "Unknown jurisdiction_id"),
                (429, "Too many calls"),
            )
        },
    },
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
                "Linli's own JSON API. No answer carries a name or a phone number; the "
                "description of a request about a minor or in a sensitive category is "
                "withheld, and a special group's place is its village's centre."
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
                    "Requests of the last 90 days (or the dates given), newest first, at most 500.",
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
                [_param("service_request_id", "path", "The request's id."), JURISDICTION],
                404,
            ),
            "/open311/v2/tokens/{token}.json": _get(
                "Token",
                "The request id of a token (here the token is the id).",
                _json({"type": "array", "items": {"type": "object"}}, "The id"),
                [_param("token", "path", "The token of a POST."), JURISDICTION],
                404,
            ),
            "/api/v1/requests/{service_request_id}/timeline": _get(
                "Public timeline",
                "What happened to a request and when; never who, never the notes.",
                _json(_ref("Timeline"), "The timeline"),
                [_param("service_request_id", "path", "The request's id.")],
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
