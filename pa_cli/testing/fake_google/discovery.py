"""Every request the fake answers is checked against Google's own discovery documents.

google-api-python-client ships the discovery documents of Gmail v1, Calendar v3 and
People v1 (``googleapiclient/discovery_cache/documents``): the same files the
production client is built from. ``DiscoveryValidator`` (ASGI middleware) finds the
method a request calls (HTTP method + path template), then checks its query (unknown
parameter, wrong type, value outside an enum, a non-repeated parameter given twice, a
required one missing) and its JSON body (unknown field, wrong type, a field the
document marks required for this method missing, a body sent to a method that takes
none). A violation is answered with a Google-style 400 and recorded in
``violations``, so a test fails even when the client would swallow the error: the
fake cannot drift from the real API, and neither can the client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The discovery documents checked; the fake serves them all under one root, as production reaches them.
DOCUMENTS: tuple[str, ...] = ("gmail.v1", "calendar.v3", "people.v1")
#: Paths the validator checks; anything else (OAuth, revoke) is not a discovery API.
API_PREFIXES: tuple[str, ...] = ("/gmail/v1/", "/calendar/v3/", "/v1/")
_HTTP_METHODS_WITH_BODY = ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class Violation:
    """One request that does not match the discovery document."""

    method: str
    path: str
    api_method: str | None
    problems: tuple[str, ...]

    def __str__(self) -> str:
        where = self.api_method or "no discovery method"
        return f"{self.method} {self.path} ({where}): " + "; ".join(self.problems)


@dataclass(frozen=True)
class _Method:
    http_method: str
    pattern: re.Pattern[str]
    literal_length: int
    definition: dict[str, Any]
    document: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.definition["id"])


def _load(name: str) -> dict[str, Any]:
    path = resources.files("googleapiclient") / "discovery_cache" / "documents" / f"{name}.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _walk(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from resource.get("methods", {}).values()
    for child in resource.get("resources", {}).values():
        yield from _walk(child)


def _template_regex(template: str) -> tuple[re.Pattern[str], int]:
    parts: list[str] = []
    literal = 0
    for piece in re.split(r"(\{\+?[^}]+\})", template):
        if piece.startswith("{+"):
            parts.append(r".+")
        elif piece.startswith("{"):
            parts.append(r"[^/]+")
        else:
            parts.append(re.escape(piece))
            literal += len(piece)
    return re.compile("^/" + "".join(parts) + "$"), literal


@cache
def _methods() -> tuple[_Method, ...]:
    found: list[_Method] = []
    for name in DOCUMENTS:
        document = _load(name)
        service_path = document.get("servicePath", "")
        for definition in _walk(document):
            template = service_path + definition.get("flatPath", definition["path"])
            pattern, literal = _template_regex(template)
            found.append(_Method(definition["httpMethod"], pattern, literal, definition, document))
    # The most specific template first: "messages/batchModify" before "messages/{id}".
    found.sort(key=lambda m: -m.literal_length)
    return tuple(found)


def find_method(http_method: str, path: str) -> _Method | None:
    for method in _methods():
        if method.http_method == http_method and method.pattern.match(path):
            return method
    return None


# -- query -------------------------------------------------------------------------------------


def _check_scalar(value: Any, spec: dict[str, Any], where: str, problems: list[str], *, query: bool) -> None:
    kind = spec.get("type")
    fmt = spec.get("format")
    if kind == "string":
        if not isinstance(value, str):
            problems.append(f"{where}: expected a string, got {type(value).__name__}")
            return
        if fmt in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
            problems.append(f"{where}: expected an integer string, got {value!r}")
        if "enum" in spec and value not in spec["enum"]:
            problems.append(f"{where}: {value!r} is not one of {spec['enum']}")
    elif kind == "integer":
        if query:
            if not (isinstance(value, str) and re.fullmatch(r"-?\d+", value)):
                problems.append(f"{where}: expected an integer, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{where}: expected an integer, got {type(value).__name__}")
    elif kind == "number":
        if query:
            try:
                float(value)
            except ValueError:
                problems.append(f"{where}: expected a number, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{where}: expected a number, got {type(value).__name__}")
    elif kind == "boolean":
        if query:
            if value not in ("true", "false"):
                problems.append(f"{where}: expected true or false, got {value!r}")
        elif not isinstance(value, bool):
            problems.append(f"{where}: expected a boolean, got {type(value).__name__}")


def _required(spec: dict[str, Any]) -> bool:
    """Required by the flag, or (People v1, Google's AIP style) by a description that says so."""
    return bool(spec.get("required")) or str(spec.get("description", "")).startswith("Required.")


def check_query(method: _Method, query_string: str) -> list[str]:
    problems: list[str] = []
    declared: dict[str, dict[str, Any]] = {
        **method.document.get("parameters", {}),
        **{
            name: spec
            for name, spec in method.definition.get("parameters", {}).items()
            if spec.get("location") == "query"
        },
    }
    seen: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        seen.setdefault(name, []).append(value)
    for name, values in seen.items():
        spec = declared.get(name)
        if spec is None:
            problems.append(f"unknown query parameter {name!r}")
            continue
        if len(values) > 1 and not spec.get("repeated"):
            problems.append(f"query parameter {name!r} is not repeated but was given {len(values)} times")
        for value in values:
            _check_scalar(value, spec, f"query parameter {name!r}", problems, query=True)
    for name, spec in declared.items():
        if _required(spec) and name not in seen:
            problems.append(f"required query parameter {name!r} is missing")
    return problems


# -- body --------------------------------------------------------------------------------------


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["schemas"][schema["$ref"]]
    return schema


def check_value(
    value: Any, schema: dict[str, Any], document: dict[str, Any], where: str, method_id: str
) -> list[str]:
    problems: list[str] = []
    schema = _resolve(schema, document)
    kind = schema.get("type")
    if kind == "any" or (kind is None and "properties" not in schema):
        return problems
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        properties: dict[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child = f"{where}.{key}" if where else key
            if key in properties:
                problems += check_value(item, properties[key], document, child, method_id)
            elif extra is not None:
                problems += check_value(item, extra, document, child, method_id)
            else:
                problems.append(f"unknown field {child!r}")
        for key, spec in properties.items():
            required_for = spec.get("annotations", {}).get("required", [])
            if method_id in required_for and key not in value:
                problems.append(f"required field {(where + '.' if where else '') + key!r} is missing")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array, got {type(value).__name__}"]
        for index, item in enumerate(value):
            problems += check_value(item, schema.get("items", {}), document, f"{where}[{index}]", method_id)
        return problems
    _check_scalar(value, schema, where, problems, query=False)
    return problems


def check_body(method: _Method, http_method: str, body: bytes, content_type: str) -> list[str]:
    request = method.definition.get("request")
    if request is None:
        if body.strip():
            return [f"{method.id} takes no request body"]
        return []
    if not body.strip():
        return [f"{method.id} needs a request body"]
    if "json" not in content_type:
        return [f"the request body must be JSON, not {content_type or 'untyped'}"]
    try:
        value = json.loads(body)
    except ValueError:
        return ["the request body is not valid JSON"]
    return check_value(value, request, method.document, "", method.id)


def validate(
    http_method: str, path: str, query_string: str, body: bytes, content_type: str
) -> Violation | None:
    """The request's violation of the discovery documents, or None when it conforms."""
    method = find_method(http_method, path)
    if method is None:
        return Violation(http_method, path, None, ("no method of Gmail v1, Calendar v3 or People v1",))
    problems = check_query(method, query_string)
    if http_method in _HTTP_METHODS_WITH_BODY or body.strip():
        problems += check_body(method, http_method, body, content_type)
    if problems:
        return Violation(http_method, path, method.id, tuple(problems))
    return None


class DiscoveryValidator:
    """ASGI middleware: a request that violates the discovery documents gets a 400 and is recorded."""

    def __init__(self, app: ASGIApp, report: Callable[[Violation], None]) -> None:
        self.app = app
        self.report = report

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        violation = validate(
            scope["method"],
            path,
            scope.get("query_string", b"").decode("latin-1"),
            body,
            headers.get("content-type", ""),
        )
        if violation is not None:
            self.report(violation)
            await _send_error(send, violation)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _send_error(send: Send, violation: Violation) -> None:
    message = "Request violates the discovery document: " + str(violation)
    payload = json.dumps(
        {
            "error": {
                "code": 400,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": "invalidArgument"}],
                "status": "INVALID_ARGUMENT",
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", b"application/json; charset=UTF-8")],
        }
    )
    await send({"type": "http.response.body", "body": payload})
