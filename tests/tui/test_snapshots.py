"""Snapshot tests (pytest-textual-snapshot) of the main screens; update with `pytest --snapshot-update`.

Every snapshot is built from stored data or a fixed request, so it does not depend on the LLM,
the clock or random ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from pa_cli.agent.state import ApprovalRequest
from pa_cli.tui.screens.approval import ApprovalScreen
from tests.tui.conftest import wait_until

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from pa_cli.store import Store
    from pa_cli.tui.app import ChatApp

Snap = Callable[..., bool]
MakeApp = Callable[..., "ChatApp"]

ANSWER = """\
I saved the note and planned the week.

- **Monday**: write the report
- **Tuesday**: dentist at 10:00

```python
def greet(name: str) -> str:
    return f"hello {name}"
```
"""


def _seed(store: Store) -> str:
    user = store.users.local_user()
    store.sessions.create(user.id, title="Holiday plans")
    session = store.sessions.create(user.id, title="Plan my week")
    store.messages.add(session.id, "user", "Plan my week and save a note")
    store.messages.add(
        session.id,
        "tool",
        "plan saved (2 steps)",
        tool_name="plan_update",
        tool_call_id="c0",
        data={"arguments": {"steps": []}, "ok": True, "state": "done"},
    )
    store.messages.add(
        session.id,
        "tool",
        "wrote /notes/week.md (42 bytes)",
        tool_name="fs_write",
        tool_call_id="c1",
        data={
            "arguments": {"path": "/notes/week.md", "content": "Monday: report"},
            "ok": True,
            "state": "done",
        },
    )
    store.messages.add(session.id, "assistant", ANSWER)
    store.plans.set(
        session.id,
        [
            {"title": "write the report", "status": "done"},
            {"title": "book the dentist", "status": "in_progress"},
            {"title": "buy a present", "status": "pending"},
        ],
    )
    return str(session.id)


async def _settle(pilot: Pilot[Any]) -> None:
    await pilot.pause(0.1)
    await pilot.wait_for_scheduled_animations()


def test_snapshot_new_session(snap_compare: Snap, make_app: MakeApp) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_snapshot_conversation_with_tool_call_plan_and_sidebar(
    snap_compare: Snap, make_app: MakeApp, store: Store
) -> None:
    app = make_app(session_id=_seed(store), show_sidebar=True)

    async def expand_tool_call(pilot: Pilot[Any]) -> None:
        from pa_cli.tui.widgets.chat_items import ToolCallBlock

        await wait_until(pilot, lambda: len(app.conversation.query(ToolCallBlock)) == 2)
        await wait_until(pilot, lambda: len(app.sidebar.session_ids) == 2)
        app.conversation.query(ToolCallBlock).last().collapsed = False
        await _settle(pilot)

    assert snap_compare(app, terminal_size=(110, 40), run_before=expand_tool_call)


def test_snapshot_approval_modal_for_a_mail(snap_compare: Snap, make_app: MakeApp) -> None:
    request = ApprovalRequest(
        id="ap1",
        tool="gmail_send",
        preview=(
            "Send this mail:\nTo: ada@example.com\nCc: eve@example.com\nSubject: Lunch on Friday?\n\n"
            "Hi Ada,\nare you free for lunch on Friday at 12:30?\nBob"
        ),
        arguments={
            "to": ["ada@example.com"],
            "cc": ["eve@example.com"],
            "subject": "Lunch on Friday?",
            "body": "Hi Ada,\nare you free for lunch on Friday at 12:30?\nBob",
        },
    )
    app = make_app()

    async def ask(pilot: Pilot[Any]) -> None:
        app.push_screen(ApprovalScreen(request))
        await _settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ask)


def test_snapshot_approval_modal_for_an_event(snap_compare: Snap, make_app: MakeApp) -> None:
    request = ApprovalRequest(
        id="ap2",
        tool="calendar_create_event",
        preview="Create this event:\nTeam lunch\nFri 14 Mar 2025, 12:30-13:30 (Europe/Paris)\nAttendees: ada@example.com",
        arguments={
            "summary": "Team lunch",
            "start": "2025-03-14T12:30:00+01:00",
            "end": "2025-03-14T13:30:00+01:00",
            "attendees": ["ada@example.com"],
        },
    )
    app = make_app()

    async def ask(pilot: Pilot[Any]) -> None:
        app.push_screen(ApprovalScreen(request))
        await _settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ask)


def test_snapshot_help(snap_compare: Snap, make_app: MakeApp) -> None:
    assert snap_compare(make_app(), press=["f1", "_"], terminal_size=(80, 24))


def test_snapshot_system_prompt_editor(snap_compare: Snap, make_app: MakeApp) -> None:
    app = make_app()

    async def open_editor(pilot: Pilot[Any]) -> None:
        from pa_cli.tui.screens.system_prompt import SystemPromptScreen

        app.prompt.load_text("/system")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SystemPromptScreen))
        await _settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_editor)


def test_snapshot_light_theme_in_colour(
    snap_compare: Snap, make_app: MakeApp, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Colours come from the Textual theme (here textual-light) when NO_COLOR is not set."""
    monkeypatch.delenv("NO_COLOR")
    app = make_app(session_id=_seed(store))
    app.theme = "textual-light"
    assert not app.no_color

    async def loaded(pilot: Pilot[Any]) -> None:
        from pa_cli.tui.widgets.chat_items import ToolCallBlock

        await wait_until(pilot, lambda: len(app.conversation.query(ToolCallBlock)) == 2)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)
