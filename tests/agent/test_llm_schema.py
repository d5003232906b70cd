"""Tool JSON schemas (as pydantic writes them) become BAML types, and parsed values come back as JSON."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pa_cli.agent.llm import ToolSpec, load_baml
from pa_cli.agent.llm_catalog import ToolCatalog, catalog_for
from pa_cli.agent.llm_schema import compact_schema, tool_schema
from pa_cli.agent.llm_turn import extract_json


class FsWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="absolute path in the virtual file system")
    content: str


class Status(StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    done = "done"


class Step(BaseModel):
    title: str
    status: Status = Status.pending


class PlanUpdate(BaseModel):
    steps: list[Step]


class GmailSend(BaseModel):
    to: list[str]
    cc: list[str] | None = None
    subject: str
    body: str
    reply_to_message_id: str | None = None


class CalendarCreateEvent(BaseModel):
    summary: str
    start: datetime
    end: datetime
    attendees: list[str] = []
    location: str | None = None
    recurrence: list[str] | None = None
    scope: Literal["this", "following", "all"] = "this"


class GmailSearch(BaseModel):
    query: str
    max_results: int = 10
    page_token: str | None = None


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OddNames(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    sender: str = Field(alias="from")
    time_min: str | None = Field(None, alias="time-min")
    klass: str | None = Field(None, alias="class")
    weight: float = 1.0


class FreeForm(BaseModel):
    data: dict[str, Any] = {}
    counts: dict[str, int] = {}
    anything: Any = None
    either: int | str = 0


class Node(BaseModel):
    name: str
    children: list[Node] = []


def spec(name: str, model: type[BaseModel]) -> ToolSpec:
    return ToolSpec(name=name, description=f"the {name} tool", parameters=model.model_json_schema())


TOOLS = [
    spec("fs_write", FsWrite),
    spec("plan_update", PlanUpdate),
    spec("gmail_send", GmailSend),
    spec("calendar_create_event", CalendarCreateEvent),
    spec("gmail_search", GmailSearch),
    spec("plan_show", NoArgs),
    spec("odd_names", OddNames),
    spec("free_form", FreeForm),
    spec("tree", Node),
]


def catalog() -> ToolCatalog:
    return catalog_for(load_baml(), TOOLS)


def test_realistic_tool_schemas_get_typed_classes() -> None:
    schemas = catalog().schemas

    assert set(schemas) == {t.name for t in TOOLS}
    for name in (
        "fs_write",
        "plan_update",
        "gmail_send",
        "calendar_create_event",
        "gmail_search",
        "plan_show",
    ):
        assert schemas[name].shape.kind == "object", name
    plan_classes = "\n".join(schemas["plan_update"].classes)
    assert 'status ("pending" | "in_progress" | "done")?' in plan_classes
    event_classes = "\n".join(schemas["calendar_create_event"].classes)
    assert 'start string @description(#"ISO 8601 date-time with UTC offset"#)' in event_classes
    assert 'scope ("this" | "following" | "all")?' in event_classes


def test_the_catalog_is_built_once_per_tool_set() -> None:
    assert catalog() is catalog()
    assert catalog_for(load_baml(), TOOLS[:2]) is not catalog()


def test_arguments_are_coerced_to_the_tools_schema() -> None:
    cat = catalog()

    assert cat.coerce("gmail_send", {"to": "anna@example.com", "subject": "Hi", "body": "See you"}) == {
        "to": ["anna@example.com"],
        "subject": "Hi",
        "body": "See you",
    }
    assert cat.coerce("plan_update", {"steps": [{"title": "a", "status": "Done"}, {"title": "b"}]}) == {
        "steps": [{"title": "a", "status": "done"}, {"title": "b"}]
    }
    assert cat.coerce("gmail_search", {"query": "q", "max_results": "5"}) == {"query": "q", "max_results": 5}
    assert cat.coerce("fs_write", {"path": "/a", "content": "x", "mode": "append"}) == {
        "path": "/a",
        "content": "x",
    }
    assert cat.coerce("plan_show", {}) == {}


def test_arguments_that_do_not_fit_are_passed_on_as_written() -> None:
    cat = catalog()

    assert cat.coerce("fs_write", {"path": "/a"}) == {"path": "/a"}
    assert cat.coerce("unknown_tool", {"x": [1, {"y": 2}]}) == {"x": [1, {"y": 2}]}


def test_odd_field_names_keep_their_json_names() -> None:
    args = catalog().coerce(
        "odd_names", {"from": "me", "time-min": "2026-01-01T00:00:00Z", "class": "x", "weight": 2}
    )

    assert args == {"from": "me", "time-min": "2026-01-01T00:00:00Z", "class": "x", "weight": 2.0}
    OddNames.model_validate(args)


def test_free_form_fields_keep_their_json_values() -> None:
    raw = {"data": {"a": [1, {"b": None}]}, "counts": {"x": 3}, "anything": [1, "2"], "either": "s"}

    assert catalog().coerce("free_form", raw) == raw


def test_a_recursive_schema_still_round_trips() -> None:
    raw = {"name": "root", "children": [{"name": "leaf", "children": []}]}

    assert catalog().coerce("tree", raw) == raw


def test_calls_in_loose_json_are_read_through_baml() -> None:
    cat = catalog()
    text = """Here you go:
    {thought: 'check mail', tool_calls: [
        {tool: "gmail_search", arguments: {query: "from:anna", max_results: 5,},},
        {tool: "plan_update", arguments: {steps: [{title: "Reply", status: "Pending"}]}},
    ], answer: null,}"""
    assert extract_json(text) is None
    parsed = load_baml().b.parse.PersonalAssistantThinking(text, baml_options={"tb": cat.thinking_builder})

    calls = cat.calls_from(parsed.model_dump(), extract_json(text))

    assert [(c.tool, c.arguments) for c in calls] == [
        ("gmail_search", {"query": "from:anna", "max_results": 5}),
        ("plan_update", {"steps": [{"title": "Reply", "status": "pending"}]}),
    ]


def test_arguments_sent_as_a_json_string_are_decoded() -> None:
    raw = {"tool_calls": [{"tool": "fs_write", "arguments": '{"path": "/a", "content": "x"}'}]}

    calls = catalog().calls_from({}, raw)

    assert [(c.tool, c.arguments) for c in calls] == [("fs_write", {"path": "/a", "content": "x"})]


def test_a_tool_name_baml_cannot_spell_is_left_untyped() -> None:
    odd = ToolSpec(name='say"hi', description="odd", parameters=FsWrite.model_json_schema())
    cat = catalog_for(load_baml(), [odd, TOOLS[0]])

    assert set(cat.schemas) == {"fs_write"}
    assert cat.coerce('say"hi', {"path": 1}) == {"path": 1}


def test_unavailable_tools_get_no_class() -> None:
    unavailable = ToolSpec(
        name="gmail_send", description="send", parameters=GmailSend.model_json_schema(), available=False
    )

    assert set(catalog_for(load_baml(), [unavailable, TOOLS[0]]).schemas) == {"fs_write"}


def test_tool_classes_are_named_per_tool() -> None:
    schema = tool_schema("fs_write", FsWrite.model_json_schema(), 3)

    assert schema.call_class == "PaCall_fs_write_3"
    assert 'tool "fs_write"' in schema.call_baml()
    assert schema.arguments_baml().endswith(
        "dynamic class ToolArguments {\n  path string\n  content string\n}"
    )


def test_compact_schema_drops_titles_but_not_title_fields() -> None:
    compact = compact_schema(PlanUpdate.model_json_schema())

    assert "title" not in compact
    step = compact["$defs"]["Step"]
    assert "title" not in step and "title" in step["properties"]
    assert "title" not in step["properties"]["title"]
    assert compact_schema({"default": {"title": "kept"}}) == {"default": {"title": "kept"}}
