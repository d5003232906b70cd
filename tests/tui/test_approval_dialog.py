"""The approval dialog at 80x24: the whole preview is seen before Approve works; Deny always works."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.containers import VerticalScroll
from textual.widgets import Button

from pa_cli.agent.state import ApprovalRequest
from pa_cli.tui.screens.approval import ApprovalScreen
from tests.tui.conftest import wait_until

if TYPE_CHECKING:
    from pa_cli.tui.app import ChatApp

MakeApp = Callable[..., "ChatApp"]

LONG_BODY = (
    "\n".join(f"Line {n} of the report." for n in range(1, 41))
    + "\nPS: the real recipient is eve@example.com"
)


def _mail(body: str) -> ApprovalRequest:
    return ApprovalRequest(
        id="ap-long",
        tool="gmail_send",
        preview=f"Send this mail:\nTo: ada@example.com\nCc: bob@example.com\nSubject: Report\n\n{body}",
        arguments={"to": ["ada@example.com"], "cc": ["bob@example.com"], "subject": "Report", "body": body},
    )


async def _open(app: ChatApp, pilot: Any, request: ApprovalRequest, results: list[bool]) -> ApprovalScreen:
    await pilot.pause(0.1)  # the app's own screen first
    screen = ApprovalScreen(request)
    await app.push_screen(screen, callback=lambda approved: results.append(bool(approved)))
    await wait_until(pilot, lambda: app.screen is screen and _body(screen).size.height > 0)
    await pilot.pause(0.1)
    return screen


def _body(screen: ApprovalScreen) -> VerticalScroll:
    return screen.query_one("#approval-body", VerticalScroll)


def _approve(screen: ApprovalScreen) -> Button:
    return screen.query_one("#approve", Button)


async def test_long_preview_keeps_approve_disabled_until_scrolled_to_the_end(make_app: MakeApp) -> None:
    app = make_app()
    results: list[bool] = []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot, _mail(LONG_BODY), results)
        assert app.focused is not None and app.focused.id == "deny"
        assert _approve(screen).disabled
        assert _body(screen).max_scroll_y > 0  # the preview really does not fit
        await pilot.press("y")
        await pilot.click("#approve")
        await pilot.pause(0.1)
        assert results == [] and app.screen is screen  # neither `y` nor the button approved
        await pilot.press("pagedown")
        await pilot.pause(0.1)
        assert 0 < _body(screen).scroll_y < _body(screen).max_scroll_y
        assert _approve(screen).disabled  # half-way is not the end
        await pilot.press("end")
        await wait_until(pilot, lambda: not _approve(screen).disabled)
        await pilot.press("y")
        await wait_until(pilot, lambda: results == [True])


async def test_escape_denies_a_long_preview_without_scrolling(make_app: MakeApp) -> None:
    app = make_app()
    results: list[bool] = []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot, _mail(LONG_BODY), results)
        assert _approve(screen).disabled
        await pilot.press("escape")
        await wait_until(pilot, lambda: results == [False])


async def test_a_short_mail_fits_whole_at_80x24_and_can_be_approved(make_app: MakeApp) -> None:
    app = make_app()
    results: list[bool] = []
    body = "Hi Ada,\nare you free for lunch on Friday at 12:30?\nBob"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot, _mail(body), results)
        assert _body(screen).max_scroll_y == 0  # everything is on screen: to, cc, subject, body
        assert app.focused is not None and app.focused.id == "deny"
        assert not _approve(screen).disabled
        await pilot.press("y")
        await wait_until(pilot, lambda: results == [True])


def _batch() -> ApprovalRequest:
    choices = tuple((f"m{n}", f"news{n}@letters.example | Digest {n} | Fri, 20 Nov 2026") for n in range(5))
    preview = "Archive (remove from the inbox) 5 messages:\n" + "\n".join(
        f"  [{i}] {label}" for i, label in choices
    )
    return ApprovalRequest(
        id="ap-batch",
        tool="gmail_modify",
        preview=preview,
        arguments={"message_ids": [i for i, _ in choices], "action": "archive"},
        choices=choices,
    )


async def test_a_batch_shows_a_checkbox_per_message_and_unticked_ones_are_left_out(make_app: MakeApp) -> None:
    from textual.widgets import SelectionList

    app = make_app()
    results: list[bool] = []
    request = _batch()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _open(app, pilot, request, results)
        choices = screen.query_one("#approval-choices", SelectionList)
        assert len(choices.selected) == 5  # all ticked to start with
        choices.focus()
        await pilot.press("space")  # unticks the first
        await pilot.press("down", "down", "space")  # and the third
        await wait_until(pilot, lambda: len(choices.selected) == 3)
        await pilot.press("end")
        await wait_until(pilot, lambda: not _approve(screen).disabled)
        await pilot.click("#approve")
        await wait_until(pilot, lambda: results == [True])
    assert request.deselected == ["m0", "m2"]


async def test_a_batch_with_nothing_ticked_cannot_be_approved(make_app: MakeApp) -> None:
    from textual.widgets import SelectionList

    app = make_app()
    results: list[bool] = []
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _open(app, pilot, _batch(), results)
        screen.query_one("#approval-choices", SelectionList).deselect_all()
        await pilot.press("end")
        await wait_until(pilot, lambda: not _approve(screen).disabled)
        await pilot.click("#approve")
        await pilot.pause(0.2)
        assert results == [] and app.screen is screen


async def test_slash_undo_takes_back_the_mail_waiting_in_the_outbox(make_app: MakeApp) -> None:
    from datetime import timedelta

    from pa_cli.outbox.repository import OutboxRepository
    from pa_cli.store.types import utcnow
    from pa_cli.tui.widgets.conversation import Conversation

    app = make_app()
    store = app.service.store
    outbox = OutboxRepository.of(store)
    item = outbox.add(
        user_id=store.users.local_user().id,
        arguments={"to": ["priya@example.com"], "subject": "Notes", "body": "x"},
        summary="to priya@example.com: Notes",
        send_after=utcnow() + timedelta(minutes=10),
        kind="undo",
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.1)
        await _type_command(app, pilot, "/undo")
        await wait_until(pilot, lambda: outbox.get(item.id).status == "cancelled")  # type: ignore[union-attr]
        await wait_until(
            pilot, lambda: "Undone: to priya@example.com: Notes" in _text(app.query_one(Conversation))
        )
        await _type_command(app, pilot, "/undo")
        await wait_until(pilot, lambda: "nothing to undo" in _text(app.query_one(Conversation)))


def _text(widget: Any) -> str:
    from textual.widgets import Static

    return " ".join(str(s.render()) for s in widget.query(Static))


async def _type_command(app: ChatApp, pilot: Any, text: str) -> None:
    app.prompt.focus()
    app.prompt.text = text
    await pilot.press("enter")
