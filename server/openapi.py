"""The published OpenAPI description: every request body, every answer and the error envelope.

The routes read their JSON bodies themselves (through the protocol module, which knows nothing of
FastAPI), so FastAPI alone would describe no body, only 200 and a 422 ``detail`` the server never
sends. This module completes the generated description from the protocol's shapes and limits, so a
client generator, a reader or a fuzzer (tests/test_server_schema.py runs schemathesis on it) sees
what the server really accepts and answers.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from fieldapp.sync import protocol as P

INT32 = {"type": "integer", "minimum": 0, "maximum": P.MAX_INT}


def _text(max_len: int, min_len: int = 0, nullable: bool = False) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "string", "maxLength": max_len, "pattern": "^[^\\u0000]*$"}
    if min_len:
        s["minLength"] = min_len
    return {"anyOf": [s, {"type": "null"}]} if nullable else s


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


UUID = {"type": "string", "format": "uuid"}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
JSON_OBJECT = {"type": "object"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "description": "The one shape of every error answer.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "message_en", "details"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string", "description": "Thai, for the person"},
                    "message_en": {"type": "string", "description": "English, for logs and programs"},
                    "details": {"type": "object"},
                },
            }
        },
    },
    "LoginRequest": {
        "type": "object",
        "required": ["user", "password"],
        "properties": {
            "user": _text(P.MAX_USER_NAME),
            "password": _text(P.MAX_PASSWORD),
            "device_id": _text(P.MAX_DEVICE_ID, nullable=True),
            "device_key": _text(P.MAX_DEVICE_ID, nullable=True),
        },
    },
    "Token": {
        "type": "object",
        "required": ["token", "expires_at", "token_type"],
        "properties": {
            "token": {"type": "string"},
            "expires_at": {"type": "string"},
            "token_type": {"type": "string", "enum": ["bearer"]},
        },
    },
    "Handshake": {
        "type": "object",
        "required": [
            "protocol",
            "server_version",
            "server_time",
            "user",
            "role",
            "areas",
            "everything",
            "forms",
        ],
        "properties": {
            "protocol": {"type": "integer"},
            "server_version": {"type": "string"},
            "server_time": {"type": "string"},
            "user": {"type": "string"},
            "role": {"type": "string", "enum": list(P.ROLES)},
            "areas": {"type": "array", "items": {"type": "string"}},
            "everything": {"type": "boolean"},
            "forms": {"type": "object", "additionalProperties": {"type": "string"}},
            "scoring": {"type": "object", "additionalProperties": {"type": "string"}},
            "people": {
                "type": "object",
                "description": "login → name of the accounts whose areas meet the user's",
                "additionalProperties": {"type": "string"},
            },
            "installed_forms": {
                "type": "object",
                "description": "form id → version of the forms installed on the server (not bundled); "
                "a laptop fetches a definition it lacks from the forms endpoint",
                "additionalProperties": {"type": "string"},
            },
            "installed_fingerprints": {
                "type": "object",
                "description": "form id → digest of the installed definition in use "
                "(a laptop with another definition under the same version says so)",
                "additionalProperties": {"type": "string"},
            },
            "history": {
                "type": "boolean",
                "description": "the server keeps edit history (pushed with changes, pulled with records)",
            },
        },
    },
    "FormDefinition": {
        "type": "object",
        "required": ["id", "version", "definition"],
        "properties": {
            "id": {"type": "string"},
            "version": {"type": "string"},
            "definition": {"type": "object", "description": "the form as fieldapp's form format (docs/forms.md)"},
        },
    },
    "Change": {
        "type": "object",
        "description": "A new document, or a tombstone (`deleted: true` and no document).",
        "required": ["change_id", "form", "record_id"],
        "properties": {
            "change_id": UUID,
            "form": _text(P.MAX_FORM_ID, 1),
            "record_id": UUID,
            "base_rev": {"anyOf": [INT32, {"type": "null"}]},
            "doc": {"anyOf": [JSON_OBJECT, {"type": "null"}]},
            "deleted": {"type": "boolean"},
            "updated_at": _text(P.MAX_TIMESTAMP, nullable=True),
            "updated_by": _text(P.MAX_USER_NAME, nullable=True),
            "resolves": {"type": "boolean"},
            "erased": {"type": "boolean"},
            "sent": {"type": "array", "maxItems": P.MAX_SENT, "items": UUID},
            "history": {
                "type": "array",
                "description": "the record's edit-history entries the server does not have yet "
                "(stored once by id; checked against the record's form)",
                "maxItems": P.MAX_HISTORY,
                "items": _ref("HistoryEntry"),
            },
        },
    },
    "HistoryEntry": {
        "type": "object",
        "description": "One save that changed a record: who, when, and each field's old and new value "
        "(repeat rows by row id).",
        "required": ["id", "at", "user", "action", "changes"],
        "properties": {
            "id": UUID,
            "at": _text(P.MAX_TIMESTAMP, 1),
            "user": _text(P.MAX_USER_NAME, 1),
            "action": _text(P.MAX_ACTION, 1),
            "device_id": _text(P.MAX_DEVICE_ID, nullable=True),
            "changes": {
                "type": "array",
                "maxItems": P.MAX_HISTORY_CHANGES,
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "repeat": {"type": "string"},
                        "row": {"type": "string"},
                        "old": {"description": "any JSON value"},
                        "new": {"description": "any JSON value"},
                        "row_op": {"type": "string", "enum": ["added", "removed"]},
                        "redacted": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "PushRequest": {
        "type": "object",
        "required": ["device_id", "changes"],
        "properties": {
            "device_id": _text(P.MAX_DEVICE_ID, 1),
            "changes": {"type": "array", "maxItems": P.MAX_PUSH_BATCH, "items": _ref("Change")},
        },
    },
    "ChangeResult": {
        "type": "object",
        "required": ["change_id", "record_id", "form", "status"],
        "properties": {
            "change_id": {"type": "string"},
            "record_id": {"type": "string"},
            "form": {"type": "string"},
            "status": {"type": "string", "enum": list(P.STATUSES)},
            "rev": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "doc": {"anyOf": [JSON_OBJECT, {"type": "null"}]},
            "conflict": {"anyOf": [JSON_OBJECT, {"type": "null"}]},
            "reason": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "message": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "problems": {"type": "array", "items": JSON_OBJECT},
            "missing_attachments": {"type": "array", "items": {"type": "string"}},
        },
    },
    "PushAnswer": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {"type": "array", "items": _ref("ChangeResult")},
            "device_reused": {"type": "boolean"},
        },
    },
    "PullItem": {
        "type": "object",
        "required": ["form", "record_id", "rev", "deleted", "doc"],
        "properties": {
            "form": {"type": "string"},
            "form_version": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "record_id": {"type": "string"},
            "rev": {"type": "integer"},
            "deleted": {"type": "boolean"},
            "updated_at": {"type": "string"},
            "updated_by": {"type": "string"},
            "complete": {"type": "boolean"},
            "erased": {"type": "boolean"},
            "doc": {"anyOf": [JSON_OBJECT, {"type": "null"}]},
            "history": {
                "type": "array",
                "description": "the record's edit history on the server, oldest first",
                "items": _ref("HistoryEntry"),
            },
        },
    },
    "PullPage": {
        "type": "object",
        "required": ["items", "next_cursor", "has_more"],
        "properties": {
            "items": {"type": "array", "items": _ref("PullItem")},
            "next_cursor": {"type": "integer"},
            "has_more": {"type": "boolean"},
            "remaining": {
                "type": "integer",
                "description": "with count=true: records of the user's areas due after the cursor, this page included",
            },
        },
    },
    "VerifyRequest": {
        "type": "object",
        "properties": {
            "exclude": {
                "type": "array",
                "description": "ids of records the laptop has set aside (not counted)",
                "items": {"type": "string"},
            }
        },
    },
    "VerifyAnswer": {
        "type": "object",
        "required": ["forms"],
        "properties": {
            "forms": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["count", "checksum"],
                    "properties": {"count": {"type": "integer"}, "checksum": {"type": "string"}},
                },
            }
        },
    },
    "Conflicts": {
        "type": "object",
        "required": ["conflicts"],
        "properties": {"conflicts": {"type": "array", "items": JSON_OBJECT}},
    },
    "AttachmentStatus": {
        "type": "object",
        "required": ["sha256", "size", "received", "complete"],
        "properties": {
            "sha256": {"type": "string"},
            "size": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "received": {"type": "integer"},
            "complete": {"type": "boolean"},
        },
    },
    "AuditEntry": {
        "type": "object",
        "required": ["id", "at", "user", "action"],
        "properties": {
            "id": INT32,
            "at": _text(P.MAX_TIMESTAMP),
            "user": _text(P.MAX_USER_NAME),
            "action": _text(P.MAX_INT),
            "form_id": _text(P.MAX_FORM_ID, nullable=True),
            "record_id": _text(P.MAX_RECORD_ID, nullable=True),
            "detail": {"description": "any JSON value"},
        },
    },
    "AuditBatch": {
        "type": "object",
        "required": ["device_id", "entries"],
        "properties": {
            "device_id": _text(P.MAX_DEVICE_ID, 1),
            "entries": {
                "type": "array",
                "maxItems": P.MAX_AUDIT_BATCH,
                "description": "entry ids are distinct within a batch",
                "items": _ref("AuditEntry"),
            },
        },
    },
    "AuditStored": {
        "type": "object",
        "required": ["stored"],
        "properties": {"stored": {"type": "integer", "minimum": 0}},
    },
}

_WHY = {
    400: "The body or a header does not have the protocol's shape or limits "
    "(`bad_payload`, `protocol_mismatch`, `too_long`).",
    401: "Not logged in, the token is unknown or expired, or wrong credentials.",
    403: "The user may not do this.",
    404: "Not found (or not in the user's areas).",
    409: "The upload is elsewhere than this request assumes (`offset_mismatch`, `size_mismatch`).",
    411: "A body sent without Content-Length.",
    413: "The body is larger than the server accepts.",
    422: "Malformed JSON, or a query or path parameter out of range (`invalid_request`), or an "
    "attachment whose bytes do not match its SHA-256 (`hash_mismatch`).",
    429: "Too many failed logins: wait `Retry-After` seconds.",
}

# (body schema or media type, answer schema or media type, error statuses) per operation
_OPERATIONS: dict[tuple[str, str], tuple[Any, Any, tuple[int, ...]]] = {
    ("post", P.Paths.LOGIN): ("LoginRequest", "Token", (400, 411, 413, 422, 401, 403, 429)),
    ("get", P.Paths.HANDSHAKE): (None, "Handshake", (400, 401)),
    ("post", P.Paths.PUSH): ("PushRequest", "PushAnswer", (400, 401, 403, 411, 413, 422)),
    ("get", P.Paths.PULL): (None, "PullPage", (400, 401, 422)),
    ("post", P.Paths.VERIFY): ("VerifyRequest", "VerifyAnswer", (400, 401, 411, 413, 422)),
    ("get", P.Paths.CONFLICTS): (None, "Conflicts", (400, 401)),
    ("get", P.Paths.ATTACHMENT_STATUS): (None, "AttachmentStatus", (400, 401, 403, 404, 422)),
    ("put", P.Paths.ATTACHMENT): (
        "application/octet-stream",
        "AttachmentStatus",
        (400, 401, 403, 404, 409, 411, 413, 422),
    ),
    ("get", P.Paths.ATTACHMENT): (None, "application/octet-stream", (400, 401, 403, 404, 422)),
    ("post", P.Paths.AUDIT): ("AuditBatch", "AuditStored", (400, 401, 403, 411, 413, 422)),
    ("get", P.Paths.FORM): (None, "FormDefinition", (400, 401, 404, 422)),
}


def _error(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": _WHY[status],
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if status == 429:
        answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return answer


def _describe(op: dict[str, Any], body: Any, answer: Any, errors: tuple[int, ...], secured: bool) -> None:
    params = []
    for p in op.get("parameters", []):
        name = p["name"].lower()
        if p["in"] == "header" and name == "authorization":
            continue  # described as the security scheme
        if p["in"] == "header" and name == P.PROTOCOL_HEADER.lower():
            p["schema"] = {"type": "string", "enum": [str(P.PROTOCOL_VERSION)]}
        params.append(p)
    if body == "application/octet-stream":
        params.append(
            {
                "name": "Content-Type",
                "in": "header",
                "required": False,
                "description": "the attachment's media type, kept for the download",
                "schema": {"type": "string", "maxLength": P.MAX_MIME, "pattern": "^[!-~]+/[!-~]+$"},
            }
        )
        op["requestBody"] = {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    elif body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    op["parameters"] = params
    if not op["parameters"]:
        del op["parameters"]
    if answer == "application/octet-stream":
        ok: dict[str, Any] = {
            "description": "The attachment's bytes",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    else:
        ok = {"description": "OK", "content": {"application/json": {"schema": _ref(answer)}}}
    op["responses"] = {"200": ok, **{str(s): _error(s) for s in sorted(errors)}}
    if secured:
        op["security"] = [{"bearer": []}]


def _link(
    schema: dict[str, Any], source: tuple[str, str], name: str, target: tuple[str, str], **params: Any
) -> None:
    """An OpenAPI link: what an answer of ``source`` lets a client call next (stateful testing)."""
    method, path = target
    answer = schema["paths"][source[1]][source[0]]["responses"]["200"]
    answer.setdefault("links", {})[name] = {
        "operationId": schema["paths"][path][method]["operationId"],
        "parameters": params,
    }


def _links(schema: dict[str, Any]) -> None:
    put, status, get = (
        ("put", P.Paths.ATTACHMENT),
        ("get", P.Paths.ATTACHMENT_STATUS),
        ("get", P.Paths.ATTACHMENT),
    )
    sha = "$request.path.sha256"
    _link(schema, put, "Status", status, sha256=sha)
    _link(schema, put, "Download", get, sha256=sha)
    _link(
        schema,
        put,
        "Continue",
        put,
        sha256=sha,
        size="$response.body#/size",
        offset="$response.body#/received",
    )
    _link(schema, status, "Upload", put, sha256=sha, offset="$response.body#/received")
    _link(schema, ("post", P.Paths.PUSH), "Pull", ("get", P.Paths.PULL), cursor=0)


def build(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {})
    kept = {k: v for k, v in components.get("schemas", {}).items() if "ValidationError" not in k}
    components["schemas"] = {**kept, **SCHEMAS}
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for (method, path), (body, answer, errors) in _OPERATIONS.items():
        _describe(schema["paths"][path][method], body, answer, errors, path != P.Paths.LOGIN)
    _links(schema)
    return schema


def install(app: FastAPI) -> None:
    """Serve the completed description at /openapi.json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
