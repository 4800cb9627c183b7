"""The statuses every route can answer because of what stands in front of it, in the OpenAPI
document.

Owns: adding to each operation the responses the shared machinery produces, so that a client
(or a fuzzer) reading the document meets no status it was not told of: 401 and 429 (rate
limits) wherever a key is needed, 408 and 413 wherever a body is read (``api.guard``), and 422
where FastAPI validates parameters. Each added response reuses the operation's own error schema
(a seed dialect's where it has one). Does not own the statuses of a route's own logic: routes
declare those in ``responses``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["document_guard_statuses"]

_DESCRIPTIONS = {
    "401": "Missing, unknown or revoked API key",
    "408": "The request body stopped arriving",
    "413": "The request body is larger than this endpoint accepts",
    "422": "Validation error",
    "429": "Rate limit or quota exceeded (see Retry-After)",
}
_ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
_BODY_METHODS = frozenset({"post", "put", "patch"})


def _error_content(operation: dict[str, Any]) -> dict[str, Any]:
    """The content of the operation's own 4xx answers (its dialect), else the native envelope."""
    responses = operation.get("responses", {})
    for status in ("401", "400", "404", "422"):
        content = responses.get(status, {}).get("content")
        if content and "application/json" in content:
            return {"application/json": dict(content["application/json"])}
    return {"application/json": {"schema": _ENVELOPE}}


def _wanted(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    wanted: list[str] = []
    # the large-upload PUT has no key: its token is the credential, refused with a 401
    if operation.get("security") or (path.startswith("/v1/uploads/") and method == "put"):
        wanted += ["401", "429"]
    if method in _BODY_METHODS or "requestBody" in operation:
        wanted += ["408", "413"]
    if operation.get("parameters") or "requestBody" in operation:
        wanted.append("422")
    return wanted


def _augment(doc: dict[str, Any]) -> dict[str, Any]:
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status in _wanted(path, method, operation):
                if status in responses and responses[status].get("content"):
                    continue
                responses[status] = {
                    "description": _DESCRIPTIONS[status],
                    "content": _error_content(operation),
                }
    return doc


def document_guard_statuses(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the shared statuses on every operation (see module doc)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return _augment(generate())  # FastAPI caches the document; adding is idempotent

    app.openapi = openapi  # type: ignore[method-assign]
