"""OpenAPI polish shared by every router: the error envelope model, documented error responses,
tag descriptions, and a schema post-processor that makes FastAPI's default 422 match the envelope."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

TAGS: list[dict[str, str]] = [
    {"name": "auth", "description": "Accounts and JWTs: register, login, verify, refresh, the current user."},
    {
        "name": "data",
        "description": "Market data: products, underlying ticks, option chains, expiries, OHLC.",
    },
    {
        "name": "analytics",
        "description": "Read-side analytics: PCR, max pain, OI build-up, IV rank, surfaces.",
    },
    {
        "name": "admin",
        "description": "Operator routes (dead letters). Needs an admin: `deltastream users promote EMAIL`.",
    },
    {"name": "ops", "description": "Health, readiness and Prometheus metrics."},
]


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`, `validation_error`")
    message: str = Field(description="Human-readable; reads well when printed alone")
    details: Any = Field(
        default=None, description="Extra context (validation errors, known values...) or null"
    )


class ErrorEnvelope(BaseModel):
    """Every error response has this shape, whatever the status."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"error": {"code": "not_found", "message": "Unknown product 'FOO'", "details": None}}
        }
    )

    error: ErrorBody


_EXAMPLES: dict[int, tuple[str, str, str, Any]] = {
    400: ("Bad request", "bad_request", "Malformed request", None),
    401: ("Missing, invalid or expired token", "unauthorized", "Invalid token", None),
    413: ("Request body too large", "payload_too_large", "Request body too large", {"max_bytes": 8192}),
    403: ("Authenticated but not allowed", "forbidden", "Admin privileges required", None),
    404: (
        "Unknown product, or no data yet",
        "not_found",
        "Unknown product 'FOO'",
        {"known_products": ["NIFTY"]},
    ),
    409: ("Conflict", "conflict", "Registration failed: these details cannot be used", None),
    422: (
        "Invalid parameter or body",
        "validation_error",
        "Invalid request: limit: Input should be less than or equal to 1000",
        [
            {
                "loc": ["query", "limit"],
                "msg": "Input should be less than or equal to 1000",
                "type": "less_than_equal",
            }
        ],
    ),
    429: (
        "Rate limit exceeded; retry after `Retry-After` seconds",
        "rate_limited",
        "Rate limit exceeded",
        None,
    ),
    503: ("A backend is unavailable", "unavailable", "Service is not ready", None),
}

_RATE_HEADERS: dict[str, Any] = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}},
    "X-RateLimit-Limit": {"description": "Requests allowed in the window", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the window", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {
        "description": "Unix time (s) when the window frees up",
        "schema": {"type": "integer"},
    },
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting the envelope (with an example) for each status."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, code, message, details = _EXAMPLES[status]
        entry: dict[str, Any] = {
            "model": ErrorEnvelope,
            "description": description,
            "content": {
                "application/json": {
                    "example": {"error": {"code": code, "message": message, "details": details}}
                }
            },
        }
        if status == 429:
            entry["headers"] = _RATE_HEADERS
        out[status] = entry
    return out


def _envelope_for_validation_errors(schema: dict[str, Any]) -> None:
    """FastAPI documents 422 as ``HTTPValidationError``; ours is the envelope, so say so everywhere,
    and document the 400 FastAPI sends for an undecodable body on every operation with one."""
    ref = "#/components/schemas/ErrorEnvelope"
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorEnvelope" not in components:
        components["ErrorEnvelope"] = ErrorEnvelope.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(components["ErrorEnvelope"].pop("$defs", {}))
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            content = responses.get("422", {}).get("content", {}).get("application/json", {})
            if content.get("schema", {}).get("$ref") == "#/components/schemas/HTTPValidationError":
                content["schema"] = {"$ref": ref}
            if "requestBody" in operation and "400" not in responses:
                # A body that is not decodable JSON is a 400 from FastAPI before validation.
                responses["400"] = {
                    "description": "Body is not valid JSON",
                    "content": {"application/json": {"schema": {"$ref": ref}}},
                }
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


def _optional_security(schema: dict[str, Any], prefixes: tuple[str, ...]) -> None:
    """Operations under ``prefixes`` answer without a token too: their security becomes
    ``[{}, {bearerAuth: []}]`` (none, or a bearer token)."""
    for path, item in schema.get("paths", {}).items():
        if not path.startswith(prefixes):
            continue
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("security") and {} not in operation["security"]:
                operation["security"] = [{}, *operation["security"]]


def install_openapi(app: FastAPI, optional_auth_prefixes: tuple[str, ...] = ()) -> None:
    """Tag descriptions, the bearer scheme description and envelope-shaped validation errors;
    operations under ``optional_auth_prefixes`` document the bearer token as optional."""
    app.openapi_tags = [*TAGS, *(app.openapi_tags or [])]
    app.description = (
        'Real-time option analytics over REST. Errors are always `{"error": {code, message, details}}`; '
        "every response carries `X-Request-ID`. Data and analytics reads are public unless "
        "`DELTASTREAM_PUBLIC_READS=false`; then they need `Authorization: Bearer <access token>` "
        "(get one from `/api/auth/login`). Rate-limited routes send `X-RateLimit-Limit`, "
        "`X-RateLimit-Remaining` and `X-RateLimit-Reset`, and a 429 carries `Retry-After`."
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            servers=app.servers,
        )
        _envelope_for_validation_errors(schema)
        if optional_auth_prefixes:
            _optional_security(schema, optional_auth_prefixes)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
