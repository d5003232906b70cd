"""The thinking prompt's one-line tool signatures and short descriptions."""

from __future__ import annotations

from typing import Any

from pa_cli.agent.llm_signature import short_description, signature

EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["summary", "start", "end"],
    "properties": {
        "summary": {"type": "string"},
        "start": {"type": "string"},
        "end": {"type": "string"},
        "attendees": {"type": "array", "items": {"type": "string"}},
        "reminders": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["minutes"],
                "properties": {"method": {"enum": ["popup", "email"]}, "minutes": {"type": "integer"}},
            },
        },
        "scope": {"anyOf": [{"enum": ["this", "all"]}, {"type": "null"}]},
    },
}


def test_every_argument_is_typed_when_the_line_fits() -> None:
    assert signature(EVENT, budget=500) == (
        'summary: str, start: str, end: str, attendees?: [str], reminders?: [{method?: "popup"|"email", '
        'minutes: int}], scope?: "this"|"all"'
    )


def test_past_the_budget_later_optional_arguments_are_named_only_and_required_ones_stay_typed() -> None:
    assert (
        signature(EVENT, budget=60)
        == "summary: str, start: str, end: str, attendees?: [str], reminders?, scope?"
    )
    assert signature(EVENT, budget=10) == "summary: str, start: str, end: str, attendees?, reminders?, scope?"


def test_short_descriptions_keep_the_first_sentence_and_cut_at_a_word() -> None:
    assert short_description("Create a Gmail label. Needs approval.") == "Create a Gmail label."
    assert (
        short_description("Read one text file (stored in pa's database). Returns it.") == "Read one text file"
    )
    cut = short_description(
        "Find free slots for a meeting with several people within working hours", limit=30
    )
    assert cut == "Find free slots for a meeting…"
