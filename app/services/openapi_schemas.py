"""The schemas of the OpenAPI 3 document's answers (app/services/openapi.py)."""

from __future__ import annotations

from app.models.vocab import GROUP_BITS, RESIDENT_CATEGORIES, STATUSES

STR = {"type": "string"}
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_NULLABLE_NUM = {"type": ["number", "null"]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": _INT, "description": STR},
    },
    "ServiceRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["service_request_id", "status", "service_code", "requested_datetime"],
        "properties": {
            "service_request_id": STR,
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": STR,
            "service_name": STR,
            "service_code": {"type": "string", "enum": sorted(RESIDENT_CATEGORIES)},
            "description": STR,
            "agency_responsible": STR,
            "service_notice": STR,
            "requested_datetime": STR,
            "updated_datetime": STR,
            "expected_datetime": STR,
            "address": STR,
            "address_id": STR,
            "zipcode": STR,
            "lat": _NULLABLE_NUM,
            "long": _NULLABLE_NUM,
            "media_url": STR,
            "detailed_status": {"type": "string", "enum": sorted(STATUSES)},
            "urgency": STR,
        },
    },
    "Service": {
        "type": "object",
        "required": ["service_code", "service_name", "metadata", "type"],
        "properties": {
            "service_code": {"type": "string", "enum": sorted(RESIDENT_CATEGORIES)},
            "service_name": STR,
            "description": STR,
            "metadata": {"type": "boolean"},
            "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
            "keywords": STR,
            "group": STR,
        },
    },
    "ServiceDefinition": {
        "type": "object",
        "required": ["service_code", "attributes"],
        "properties": {
            "service_code": STR,
            "attributes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "datatype", "variable", "required", "order"],
                    "properties": {
                        "variable": {"type": "boolean"},
                        "code": STR,
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
                        "datatype_description": STR,
                        "order": _INT,
                        "description": STR,
                        "values": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"key": STR, "name": STR}},
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
            "service_request_id": STR,
            "status": {"type": "string", "enum": ["open", "closed"]},
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["at", "action", "label", "status"],
                    "properties": {"at": STR, "action": STR, "label": STR, "status": STR},
                },
            },
        },
    },
    "StationRequests": {
        "type": "object",
        "required": ["station_id", "station_name", "requests"],
        "properties": {
            "station_id": _INT,
            "station_name": STR,
            "requests": {"type": "array", "items": ref("ServiceRequest")},
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
                        "name": STR,
                        "person_times": _INT,
                        "hours": _NUM,
                        "requests": _INT,
                    },
                },
            },
        },
    },
}
