"""Turn a tool's JSON schema into BAML classes, and BAML's parsed values back into JSON.

BAML needs real types to parse tool arguments well (a recursive JSON alias crashes,
``map<string, string>`` turns numbers into strings). So each tool becomes

    class PaCall_<tool> { tool "<name>"  arguments PaArgs_<tool>  @@stream.done }

with ``PaArgs_<tool>`` (and nested classes) generated from the tool's JSON schema, as
pydantic writes it: strings, ints, numbers, booleans, enums and literals, lists, maps,
optional and nullable fields, nested objects and ``$defs`` references. What cannot be
expressed (free-form objects, recursive references, mixed enums, tuples) becomes an
"any" field: a BAML ``string`` in the prompt, whose value is taken from the model's raw
JSON (or decoded from the string) afterwards, so nothing is lost.

``ToolSchema.to_json`` converts a parsed value back to the tool's own JSON field names
(BAML field names can differ: reserved words and odd names are aliased), drops absent
optional fields (BAML reports them as null) and restores "any" fields from the raw JSON.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Literal

ShapeKind = Literal["value", "object", "list", "map", "union", "any"]

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Names BAML refuses as field names (its keywords and the generated Python's reserved words).
_RESERVED = frozenset(keyword.kwlist) | {
    "string",
    "int",
    "float",
    "bool",
    "null",
    "true",
    "false",
    "enum",
    "class",
    "function",
    "client",
    "dynamic",
    "env",
    "image",
    "audio",
    "pdf",
    "video",
    "literal",
    "map",
    "type_builder",
    "generator",
    "template_string",
    "retry_policy",
    "test",
    "self",
}
_FORMAT_HINTS = {
    "date-time": "ISO 8601 date-time with UTC offset",
    "date": "ISO 8601 date",
    "time": "ISO 8601 time",
    "email": "e-mail address",
    "uri": "URL",
}
ANY_DESCRIPTION = "any JSON value"
_LITERAL_KEYS = frozenset({"default", "const", "enum", "examples", "example"})


@dataclass(frozen=True)
class FieldShape:
    baml_name: str
    json_name: str
    shape: Shape
    required: bool


@dataclass(frozen=True)
class Shape:
    kind: ShapeKind
    fields: tuple[FieldShape, ...] = ()
    item: Shape | None = None
    branches: tuple[Shape, ...] = ()
    #: for "any": the schema also allows a plain string (then a string is not JSON-decoded)
    accepts_string: bool = False


VALUE = Shape("value")
_MISSING: Any = object()


class UnsupportedSchema(Exception):
    """A tool that cannot be given BAML classes at all (its name cannot be a BAML literal)."""


def _literal(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and not re.search(r'["\\\x00-\x1f]', value):
        return f'"{value}"'
    return None


def _raw_string(text: str) -> str:
    return '#"' + text.replace('"#', '" #') + '"#'


def _wrap(type_expr: str) -> str:
    """Parenthesise a type with ``|`` or ``?`` before adding ``[]`` or ``?``."""
    return f"({type_expr})" if ("|" in type_expr or type_expr.endswith("?")) else type_expr


def sanitize_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return cleaned if cleaned and cleaned[0].isalpha() else f"t_{cleaned}"


class _Builder:
    def __init__(self, suffix: str, root: dict[str, Any], *, alias_all: bool) -> None:
        self.suffix = suffix
        self.root = root
        self.alias_all = alias_all
        self.classes: list[str] = []
        self._counter = 0
        self._refs: dict[str, tuple[str, Shape]] = {}
        self._in_progress: set[str] = set()

    def new_class_name(self, hint: str) -> str:
        self._counter += 1
        return f"PaObj_{self.suffix}_{self._counter}_{sanitize_name(hint)[:40]}"

    def any_type(self, schema: Any) -> tuple[str, Shape, str | None]:
        accepts_string = isinstance(schema, dict) and _allows_string(schema)
        return "string", Shape("any", accepts_string=accepts_string), ANY_DESCRIPTION

    def type_of(self, schema: Any, hint: str) -> tuple[str, Shape, str | None]:
        """Return (BAML type, shape, description hint) for one schema node."""
        if not isinstance(schema, dict) or not schema:
            return self.any_type(schema)
        if "$ref" in schema:
            return self._ref(schema["$ref"], schema)
        if "const" in schema:
            lit = _literal(schema["const"])
            return (lit, VALUE, None) if lit else self.any_type(schema)
        if "enum" in schema:
            return self._enum(schema)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._union(schema[key], hint)
        if "allOf" in schema:
            parts = schema["allOf"]
            if isinstance(parts, list) and len(parts) == 1:
                return self.type_of(parts[0], hint)
            return self.any_type(schema)
        kind = schema.get("type")
        if isinstance(kind, list):
            return self._union([{**schema, "type": k} for k in kind], hint)
        if kind is None and "properties" in schema:
            kind = "object"
        if kind == "string":
            return "string", VALUE, _FORMAT_HINTS.get(str(schema.get("format", "")))
        if kind == "integer":
            return "int", VALUE, None
        if kind == "number":
            return "float", VALUE, None
        if kind == "boolean":
            return "bool", VALUE, None
        if kind == "null":
            return "null", VALUE, None
        if kind == "array":
            items = schema.get("items")
            if not isinstance(items, dict) or "prefixItems" in schema:
                return self.any_type(schema)
            inner, shape, _ = self.type_of(items, hint)
            if shape.kind == "any":
                return self.any_type(schema)
            return f"{_wrap(inner)}[]", Shape("list", item=shape), None
        if kind == "object":
            return self._object(schema, hint)
        return self.any_type(schema)

    def _ref(self, ref: Any, schema: dict[str, Any]) -> tuple[str, Shape, str | None]:
        if not isinstance(ref, str):
            return self.any_type(schema)
        match = re.fullmatch(r"#/(\$defs|definitions)/(.+)", ref)
        target = self.root.get(match.group(1), {}).get(match.group(2)) if match else None
        if target is None or ref in self._in_progress:
            return self.any_type(schema)  # unknown or recursive reference
        if ref in self._refs:
            type_expr, shape = self._refs[ref]
            return type_expr, shape, None
        self._in_progress.add(ref)
        try:
            type_expr, shape, desc = self.type_of(target, match.group(2) if match else "ref")
        finally:
            self._in_progress.discard(ref)
        self._refs[ref] = (type_expr, shape)
        return type_expr, shape, desc

    def _enum(self, schema: dict[str, Any]) -> tuple[str, Shape, str | None]:
        values = schema["enum"]
        if not isinstance(values, list) or not values:
            return self.any_type(schema)
        literals = [_literal(v) for v in values if v is not None]
        if all(lit is not None for lit in literals) and literals:
            kinds = {type(v) for v in values if v is not None}
            if len(kinds) == 1:
                expr = " | ".join(lit for lit in literals if lit)
                if None in values:
                    expr = f"{expr} | null"
                return expr, VALUE, None
        if all(isinstance(v, str) for v in values):
            return "string", VALUE, "one of: " + ", ".join(json.dumps(v) for v in values)
        return self.any_type(schema)

    def _union(self, branches: Any, hint: str) -> tuple[str, Shape, str | None]:
        if not isinstance(branches, list) or not branches:
            return self.any_type({})
        nullable = False
        exprs: list[str] = []
        shapes: list[Shape] = []
        descs: list[str] = []
        for branch in branches:
            if isinstance(branch, dict) and branch.get("type") == "null" and len(branch) <= 2:
                nullable = True
                continue
            expr, shape, desc = self.type_of(branch, hint)
            if shape.kind == "any":
                return self.any_type({"anyOf": branches})
            exprs.append(expr)
            shapes.append(shape)
            if desc:
                descs.append(desc)
        if not exprs:
            return "null", VALUE, None
        desc_out = "; ".join(descs) if descs else None
        if len(exprs) == 1:
            expr, shape = exprs[0], shapes[0]
        else:
            expr = " | ".join(_wrap(e) if e.endswith("?") else e for e in exprs)
            shape = Shape("union", branches=tuple(shapes))
        if nullable:
            expr = f"{_wrap(expr)}?" if not expr.endswith("?") else expr
        return expr, shape, desc_out

    def _object(self, schema: dict[str, Any], hint: str) -> tuple[str, Shape, str | None]:
        props = schema.get("properties")
        if isinstance(props, dict) and props:
            name = self.new_class_name(str(schema.get("title") or hint))
            shape = self.build_class(name, schema)
            return name, shape, None
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            inner, shape, _ = self.type_of(extra, hint)
            if shape.kind != "any":
                return f"map<string, {inner}>", Shape("map", item=shape), None
        if props == {} and extra is False:
            name = self.new_class_name(str(schema.get("title") or hint))
            return name, self.build_class(name, schema), None
        return self.any_type(schema)

    def build_class(self, name: str, schema: dict[str, Any]) -> Shape:
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        lines: list[str] = []
        fields: list[FieldShape] = []
        used: set[str] = set()
        for index, (json_name, prop) in enumerate(props.items()):
            type_expr, shape, desc = self.type_of(prop, json_name)
            is_required = json_name in required
            if not is_required and not type_expr.endswith("?"):
                type_expr = f"{_wrap(type_expr)}?"
            plain = (
                not self.alias_all
                and _IDENT.match(json_name) is not None
                and json_name not in _RESERVED
                and json_name not in used
            )
            baml_name = json_name if plain else f"p{index}_{sanitize_name(json_name)[:30].lower()}"
            used.add(baml_name)
            attrs = "" if plain else f" @alias({_raw_string(json_name)})"
            if desc:
                attrs += f" @description({_raw_string(desc)})"
            lines.append(f"  {baml_name} {type_expr}{attrs}")
            fields.append(FieldShape(baml_name, json_name, shape, is_required))
        body = "\n".join(lines)
        self.classes.append(f"class {name} {{\n{body}\n}}")
        return Shape("object", fields=tuple(fields))


def _allows_string(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        return True
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and any(isinstance(b, dict) and _allows_string(b) for b in branches):
            return True
    return not schema or (kind is None and not any(k in schema for k in ("properties", "anyOf", "oneOf")))


@dataclass
class ToolSchema:
    """The BAML form of one tool's arguments."""

    tool: str
    suffix: str
    args_class: str
    call_class: str
    classes: list[str] = field(default_factory=list)
    shape: Shape = VALUE

    def call_baml(self) -> str:
        """Class definitions for the tool call (used in PersonalAssistantThinking)."""
        call = (
            f"class {self.call_class} {{\n"
            f'  tool "{self.tool}"\n'
            f"  arguments {self.args_class}\n"
            "  @@stream.done\n"
            "}"
        )
        return "\n".join([*self.classes, call])

    def arguments_baml(self) -> str:
        """The arguments as the properties of ToolArguments (for PersonalAssistantToolCall)."""
        args_def = self.classes[-1]
        rest = self.classes[:-1]
        header = f"class {self.args_class} {{"
        assert args_def.startswith(header)
        return "\n".join([*rest, "dynamic class ToolArguments {" + args_def[len(header) :]])

    def to_json(self, value: Any, raw: Any = _MISSING) -> dict[str, Any]:
        """Convert BAML's parsed arguments to the tool's JSON, restoring "any" fields from ``raw``."""
        if self.shape.kind == "any":
            return dict(raw) if isinstance(raw, dict) else (value if isinstance(value, dict) else {})
        result = convert(value if isinstance(value, dict) else {}, self.shape, raw)
        return result if isinstance(result, dict) else {}


def convert(value: Any, shape: Shape, raw: Any = _MISSING) -> Any:
    if shape.kind == "any":
        chosen = raw if raw is not _MISSING else value
        if isinstance(chosen, str) and not shape.accepts_string:
            try:
                return json.loads(chosen)
            except ValueError:
                return chosen
        return chosen
    if shape.kind == "object" and isinstance(value, dict):
        out: dict[str, Any] = {}
        raw_dict = raw if isinstance(raw, dict) else {}
        for f in shape.fields:
            item = value.get(f.baml_name)
            raw_item = raw_dict.get(f.json_name, _MISSING)
            if item is None and not f.required and (raw_item is _MISSING or f.shape.kind != "any"):
                continue
            out[f.json_name] = convert(item, f.shape, raw_item)
        return out
    if shape.kind == "list" and isinstance(value, list) and shape.item is not None:
        raws = raw if isinstance(raw, list) and len(raw) == len(value) else None
        return [convert(v, shape.item, raws[i] if raws else _MISSING) for i, v in enumerate(value)]
    if shape.kind == "map" and isinstance(value, dict) and shape.item is not None:
        raw_map = raw if isinstance(raw, dict) else {}
        return {k: convert(v, shape.item, raw_map.get(k, _MISSING)) for k, v in value.items()}
    if shape.kind == "union" and isinstance(value, dict):
        keys = {k for k, v in value.items() if v is not None}
        for branch in shape.branches:
            if branch.kind == "object" and keys <= {f.baml_name for f in branch.fields}:
                return convert(value, branch, raw)
    return value


def tool_schema(tool: str, schema: dict[str, Any], index: int, *, alias_all: bool = False) -> ToolSchema:
    """Build the BAML classes for one tool's arguments."""
    if _literal(tool) is None:
        raise UnsupportedSchema(f"tool name {tool!r} cannot be a BAML literal")
    suffix = f"{sanitize_name(tool)[:40]}_{index}"
    builder = _Builder(suffix, schema if isinstance(schema, dict) else {}, alias_all=alias_all)
    args_class = f"PaArgs_{suffix}"
    root = schema if isinstance(schema, dict) else {}
    props = root.get("properties")
    if root.get("type", "object") == "object" and isinstance(props, dict):
        shape = builder.build_class(args_class, root)
    else:
        # A free-form or exotic root: show an empty object; the raw JSON supplies the values.
        builder.classes.append(f"class {args_class} {{\n}}")
        shape = Shape("any")
    return ToolSchema(
        tool=tool,
        suffix=suffix,
        args_class=args_class,
        call_class=f"PaCall_{suffix}",
        classes=builder.classes,
        shape=shape,
    )


def compact_schema(schema: Any) -> Any:
    """The schema without pydantic's ``title`` noise, for the prompt's tool list."""
    if isinstance(schema, list):
        return [compact_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _LITERAL_KEYS:
            out[key] = value
            continue
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {name: compact_schema(sub) for name, sub in value.items()}
        else:
            out[key] = compact_schema(value)
    return out


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(compact_schema(schema), ensure_ascii=False, separators=(",", ":"))
