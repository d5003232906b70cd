"""The OpenAPI document, made to say exactly what the server does.

FastAPI's generated document is adjusted in three ways: every 4xx/5xx is our
JSON error body (never FastAPI's ``{"detail": ...}``); the SSE responses
describe each event (``event`` name, JSON ``data`` with its schema, numeric
``id``), in the per-event form OpenAPI 3.2 uses for ``text/event-stream``; and
``enabled_tools`` lists the tool names this server really offers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_SSE = "text/event-stream"


def event_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """(components to add, the schema of one SSE event) for the turn events."""
    from pydantic import BaseModel
    from pydantic.json_schema import JsonSchemaMode, models_json_schema

    from pa_cli.agent import events

    models: list[tuple[str, type[BaseModel]]] = [
        ("session", events.SessionStarted),
        ("token", events.TextDelta),
        ("tool_start", events.ToolCallStarted),
        ("tool_end", events.ToolCallFinished),
        ("approval_required", events.ApprovalRequired),
        ("plan", events.PlanUpdated),
        ("waiting", events.Waiting),
        ("done", events.Done),
        ("error", events.Error),
    ]
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(model, "serialization") for _, model in models]
    refs, defs = models_json_schema(inputs, ref_template="#/components/schemas/Sse{model}")
    components = {f"Sse{name}": schema for name, schema in defs.get("$defs", {}).items()}
    variants = []
    for name, model in models:
        variants.append(
            {
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": {"const": name},
                    "data": {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": refs[(model, "serialization")],
                    },
                    "id": {"type": "string", "pattern": "^[0-9]+$"},
                },
            }
        )
    return components, {"oneOf": variants}


def finish_openapi(app: FastAPI) -> None:
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        extra, event_schema = event_schemas()
        components.update(extra)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                _fix_responses(operation.get("responses", {}), event_schema)
                for parameter in operation.get("parameters", []):
                    _drop_null(parameter)
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None:
            _enumerate_tools(components, sorted(runtime.registry.names()))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _fix_responses(responses: dict[str, Any], event_schema: dict[str, Any]) -> None:
    for status, response in responses.items():
        content = response.get("content", {})
        if status.isdigit() and int(status) >= 400:
            html = content.get("text/html")
            response["content"] = {
                "application/json": {"schema": _ERROR_REF},
                **({"text/html": html} if html else {}),
            }
            if status == "422":
                response["description"] = "The request does not match the schema"
        elif _SSE in content:
            content[_SSE] = {"schema": event_schema}


def _drop_null(parameter: dict[str, Any]) -> None:
    """An optional header or query parameter is absent, never ``null``: say so."""
    schema = parameter.get("schema", {})
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if "anyOf" in schema and len(options) == 1:
        del schema["anyOf"]
        schema.update(options[0])


def _enumerate_tools(components: dict[str, Any], names: list[str]) -> None:
    field = components.get("AgentConfigUpdate", {}).get("properties", {}).get("enabled_tools", {})
    for option in field.get("anyOf", []):
        if option.get("type") == "array":
            option["items"] = {"type": "string", "enum": names}
