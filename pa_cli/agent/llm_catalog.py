"""BAML types for the tools of a turn, built at run time and cached per tool set.

For PersonalAssistantThinking: ``tool_calls`` is a list of the union of one class per
available tool (``PaCall_<tool>``: literal ``tool``, typed ``arguments``), then
``answer string?``. For PersonalAssistantToolCall: the chosen tool's argument fields
become the properties of ``ToolArguments``.

Arguments come back as real JSON: each call the model wrote is taken from its raw JSON
and coerced against that tool's own class (``b.parse``, no LLM call), so one malformed
call is passed on as written (the agent validates it and may ask PersonalAssistantToolCall
to fix it) instead of silently vanishing from a list, which is what BAML's list parsing
does with an item that fits no class.

Partial replies are parsed against a much smaller Thinking (``partial_builder``): while
the reply streams, pa only needs the answer so far and whether a call began. BAML's cost
per parse grows with the types it is given, not with the text: with a dozen tools the
whole union costs ~1.2 ms a parse, all of it on the event loop with the GIL held, which
is what held a server's event loop at 100 streams; the small one costs ~0.15 ms.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from typing import Any

from pa_cli.agent.llm_schema import ToolSchema, UnsupportedSchema, schema_text, tool_schema
from pa_cli.agent.llm_types import ProposedCall, ToolSpec

log = logging.getLogger(__name__)

_CACHE: OrderedDict[tuple[tuple[str, str], ...], ToolCatalog] = OrderedDict()
_CACHE_SIZE = 16
_CACHE_LOCK = threading.Lock()
#: What a partial Thinking needs: the answer, and any call object once it is complete (as the
#: per-tool classes are, with ``@@stream.done``). Its name is no tool class's (PaCall_/PaArgs_/PaObj_).
PARTIAL_THINKING_BAML = """class PaPartialCall {
  tool string
  @@stream.done
}
dynamic class Thinking {
  tool_calls PaPartialCall[]
  answer string?
}"""


class ToolCatalog:
    def __init__(self, baml: Any, tools: list[ToolSpec]) -> None:
        self._baml = baml
        self.schemas: dict[str, ToolSchema] = {}
        self._argument_builders: dict[str, Any] = {}
        for index, spec in enumerate(t for t in tools if t.available):
            built = self._build_tool(spec, index)
            if built is not None:
                self.schemas[spec.name], self._argument_builders[spec.name] = built
        self.thinking_builder = self._thinking_builder()
        #: For ``b.parse_stream`` while the reply streams; the final parse takes ``thinking_builder``.
        self.partial_builder = self._partial_builder()

    def _build_tool(self, spec: ToolSpec, index: int) -> tuple[ToolSchema, Any] | None:
        """A tool's classes, aliasing every field if plain names fail, or an untyped fallback."""
        type_builder = self._baml.type_builder.TypeBuilder
        forms: tuple[tuple[dict[str, Any], bool], ...] = (
            (spec.parameters, False),
            (spec.parameters, True),  # every field aliased: dodges names BAML reserves
            ({"type": "object"}, False),  # untyped: the raw JSON supplies the arguments
        )
        for parameters, alias_all in forms:
            try:
                schema = tool_schema(spec.name, parameters, index, alias_all=alias_all)
                builder = type_builder()
                builder.add_baml(schema.arguments_baml())
            except UnsupportedSchema:
                log.debug("tool %r cannot be typed for BAML", spec.name)
                return None
            except Exception as exc:  # BAML rejects the generated text: try the next form
                log.debug("tool %r: BAML rejected its classes (%s)", spec.name, type(exc).__name__)
                continue
            return schema, builder
        return None

    def _thinking_builder(self) -> Any:
        builder = self._baml.type_builder.TypeBuilder()
        lines = [schema.call_baml() for schema in self.schemas.values()]
        lines.append("dynamic class Thinking {")
        if self.schemas:
            union = " | ".join(schema.call_class for schema in self.schemas.values())
            lines.append(
                f"  tool_calls ({union})[]"
                ' @description(#"the tools to call now, in order; empty when you answer"#)'
            )
        lines.append('  answer string? @description(#"the reply to the user, or null while calling tools"#)')
        lines.append("}")
        builder.add_baml("\n".join(lines))
        return builder

    def _partial_builder(self) -> Any:
        if not self.schemas:  # no tool_calls field at all: the whole Thinking is already small
            return self.thinking_builder
        builder = self._baml.type_builder.TypeBuilder()
        builder.add_baml(PARTIAL_THINKING_BAML)
        return builder

    def arguments_builder(self, tool: str) -> Any | None:
        return self._argument_builders.get(tool)

    def coerce(self, tool: str, raw_arguments: dict[str, Any]) -> dict[str, Any]:
        """The model's raw arguments for ``tool``, coerced to its schema where they fit."""
        schema = self.schemas.get(tool)
        builder = self._argument_builders.get(tool)
        if schema is None or builder is None:
            return raw_arguments
        try:
            parsed = self._baml.b.parse.PersonalAssistantToolCall(
                json.dumps(raw_arguments), baml_options={"tb": builder}
            )
        except Exception:  # does not fit the schema: pass it on as written, the agent validates
            return raw_arguments
        return schema.to_json(parsed.model_dump(), raw_arguments)

    def from_parsed(self, tool: str, value: Any, raw_arguments: Any = None) -> dict[str, Any]:
        """Arguments BAML already parsed (no usable raw JSON), in the tool's own field names."""
        schema = self.schemas.get(tool)
        if schema is None:
            source = raw_arguments if isinstance(raw_arguments, dict) else value
            return dict(source) if isinstance(source, dict) else {}
        if isinstance(raw_arguments, dict):
            return schema.to_json(value, raw_arguments)
        return schema.to_json(value)

    def calls_from(self, parsed: dict[str, Any], raw: Any) -> list[ProposedCall]:
        """The tool calls of a Thinking reply: from the raw JSON when it parses, else from BAML's."""
        raw_calls = raw.get("tool_calls") if isinstance(raw, dict) else None
        calls: list[ProposedCall] = []
        if isinstance(raw_calls, list):
            for item in raw_calls:
                if not isinstance(item, dict) or not isinstance(item.get("tool"), str):
                    continue
                arguments = item.get("arguments")
                if isinstance(arguments, str):  # some models send arguments as a JSON string
                    try:
                        arguments = json.loads(arguments)
                    except ValueError:
                        arguments = None
                arguments = arguments if isinstance(arguments, dict) else {}
                calls.append(ProposedCall(item["tool"], self.coerce(item["tool"], arguments)))
            return calls
        for item in parsed.get("tool_calls") or []:
            if isinstance(item, dict) and isinstance(item.get("tool"), str):
                calls.append(
                    ProposedCall(item["tool"], self.from_parsed(item["tool"], item.get("arguments")))
                )
        return calls


def catalog_for(baml: Any, tools: list[ToolSpec]) -> ToolCatalog:
    """The (cached) catalog for this exact set of tools and schemas."""
    key = tuple((t.name, schema_text(t.parameters)) for t in tools if t.available)
    with _CACHE_LOCK:
        catalog = _CACHE.get(key)
        if catalog is not None:
            _CACHE.move_to_end(key)
            return catalog
    catalog = ToolCatalog(baml, tools)
    with _CACHE_LOCK:
        _CACHE[key] = catalog
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return catalog
