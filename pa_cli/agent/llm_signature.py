"""A tool's arguments as one compact line, for the thinking prompt's tool list.

The whole JSON schema of every tool made the thinking prompt about 4,400 tokens with the
Google tools; a signature such as ``to: [str], cc?: [str], subject: str`` says what the
model needs to pick a tool and fill it, in a tenth of that. When the arguments it writes do
not validate, PersonalAssistantToolCall shows that one tool's full schema ("descriptions on
demand").
"""

from __future__ import annotations

import json
import re
from typing import Any

_SCALARS = {"string": "str", "integer": "int", "number": "num", "boolean": "bool", "null": "null"}
MAX_DEPTH = 4
_SENTENCE = re.compile(r"(?<=[.;!?])\s|\s\((?:needs|stored)\b")


#: A signature longer than this shows its later optional arguments by name only (their types are
#: in the full schema PersonalAssistantToolCall shows when arguments do not fit).
SIGNATURE_BUDGET = 100


def short_description(text: str, limit: int = 48) -> str:
    """The description's first sentence, at most ``limit`` characters (cut at a word)."""
    first = _SENTENCE.split(text.strip(), maxsplit=1)[0].strip()
    if len(first) > limit:
        head = first[: limit - 1]
        if first[limit - 1] != " ":  # the cut is inside a word: drop that word
            head = head.rsplit(" ", 1)[0]
        first = head.rstrip(" ,;:") + "…"
    return first


def signature(schema: dict[str, Any], budget: int = SIGNATURE_BUDGET) -> str:
    """``name: type, optional?: type`` for an object schema's properties (empty for no arguments).

    Required arguments always show their type; optional ones do while the line stays within
    ``budget`` characters, the rest are named only (``reminders?``)."""
    return _fields(schema, schema.get("$defs") or schema.get("definitions") or {}, 0, budget)


def _fields(schema: dict[str, Any], defs: dict[str, Any], depth: int, budget: int | None = None) -> str:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return ""
    required = set(schema.get("required") or [])
    parts: list[str] = []
    for name, prop in properties.items():
        optional, kind = _type(prop if isinstance(prop, dict) else {}, defs, depth)
        needed = name in required and not optional
        part = f"{name}{'' if needed else '?'}: {kind}"
        if budget is not None and not needed and len(", ".join([*parts, part])) > budget:
            part = f"{name}?"
        parts.append(part)
    return ", ".join(parts)


def _type(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> tuple[bool, str]:
    """(nullable, compact type) of a property schema."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        schema = defs.get(ref.rsplit("/", 1)[-1], {})
    if depth > MAX_DEPTH:
        return False, "…"
    if "enum" in schema:
        return False, "|".join(json.dumps(value) for value in schema["enum"])
    if "const" in schema:
        return False, json.dumps(schema["const"])
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list):
        nullable = any(isinstance(o, dict) and o.get("type") == "null" for o in options)
        kinds = [_type(o, defs, depth)[1] for o in options if isinstance(o, dict) and o.get("type") != "null"]
        return nullable, "|".join(dict.fromkeys(kinds)) or "null"
    kind = schema.get("type")
    if isinstance(kind, list):
        nullable = "null" in kind
        names = [_SCALARS.get(k, str(k)) for k in kind if k != "null"]
        return nullable, "|".join(names)
    if kind == "array":
        items = schema.get("items")
        inner = _type(items, defs, depth + 1)[1] if isinstance(items, dict) else "any"
        return False, f"[{inner}]"
    if kind == "object" or "properties" in schema:
        inner = _fields(schema, defs, depth + 1)
        return False, "{" + inner + "}" if inner else "object"
    if isinstance(kind, str):
        return False, _SCALARS.get(kind, kind)
    return False, "any"
