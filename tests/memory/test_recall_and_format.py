"""The parts of memory that need no model: the token budget, near-duplicates, the Markdown format."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pa_cli.errors import UsageError
from pa_cli.memory.markdown import from_markdown, to_markdown
from pa_cli.memory.recall import estimate_tokens, within_budget
from pa_cli.memory.similar import overlap
from pa_cli.memory.words import key_words
from pa_cli.store import Memory
from pa_cli.store.repositories.memories import RecalledMemory


def fact(id_: str, text: str, pinned: bool = False) -> RecalledMemory:
    return RecalledMemory(id_, text, pinned, None, None if pinned else 0)


def test_the_budget_takes_pinned_facts_first_then_matches_that_still_fit() -> None:
    long = fact("a", "x" * 400)
    short = fact("b", "My manager is Sam")
    pinned = fact("c", "Answer in British English", pinned=True)
    budget = estimate_tokens(pinned.text) + estimate_tokens(short.text)
    assert [m.id for m in within_budget([long, short, pinned], budget)] == ["c", "b"]
    assert within_budget([short], 0) == []


def test_key_words_drop_the_little_words() -> None:
    assert key_words("Who is my MANAGER? Who's Sam?") == ["manager", "who's", "sam"]
    assert key_words("is it the?") == []


@pytest.mark.parametrize(
    ("old", "new", "alike"),
    [
        ("My manager is Sam", "Sam left; my manager is Priya", True),
        ("I never take meetings before ten", "My manager is Priya", False),
        ("The offsite is the Lisbon kickoff", "Which project is the offsite?", True),
    ],
)
def test_near_duplicates_share_most_content_words(old: str, new: str, alike: bool) -> None:
    assert (overlap(old, new) >= 0.5) is alike


def test_markdown_round_trips_every_field_and_escapes_comment_marks() -> None:
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    memories = [
        Memory(id="aaaa11112222", user_id=1, text="Says <!-- hi --> a lot", created_at=when, pinned=True),
        Memory(
            id="bbbb11112222",
            user_id=1,
            text="IBAN XX00",
            source="turn",
            taint="read mail -- from x",
            created_at=when,
        ),
    ]
    text = to_markdown(memories, when)
    assert text.count("\n- ") == 2
    back = from_markdown(text)
    assert [(f.id, f.text, f.pinned, f.source, f.taint, f.created_at) for f in back] == [
        ("aaaa11112222", "Says <!-- hi --> a lot", True, "you", None, when),
        ("bbbb11112222", "IBAN XX00", False, "turn", "read mail -- from x", when),
    ]


def test_a_hand_written_list_imports_as_your_facts_and_a_broken_comment_is_an_error() -> None:
    facts = from_markdown("# mine\n\n- I like tea\n* The dog is Rex\nnot a bullet\n-   \n")
    assert [(f.text, f.source, f.id) for f in facts] == [
        ("I like tea", "you", None),
        ("The dog is Rex", "you", None),
    ]
    with pytest.raises(UsageError, match="line 1: the pa comment is not valid JSON"):
        from_markdown("- tea <!-- pa {nope} -->")
