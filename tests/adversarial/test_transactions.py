"""Each tool call is its own transaction; `ask`, `deny` and `enabled_tools` hold for every tool.

The scripted LLM names whatever the attacker wants: a doomed call next to a send, a tool the
policy says to ask about, a tool the user disabled.
"""

from __future__ import annotations

import json

from tests.adversarial.conftest import Bench, pending_of, send_args, thinking

BOSS = "boss@example.com"
MISSING_EVENT = {"event_id": "doesnotexist"}


def test_a_failing_call_next_to_a_send_fails_alone_under_yes(bench: Bench) -> None:
    bench.script(
        thinking(None, ("gmail_send", send_args(BOSS)), ("calendar_delete_event", MISSING_EVENT)),
        thinking("Sent the invoice; the event was not found."),
    )
    result = bench.pa(
        "ask", "--json", "--yes", "send the invoice to my boss and cancel the review", timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["response"] == "Sent the invoice; the event was not found."
    assert [m.to for m in bench.google.sent] == [[BOSS]]
    [approval] = bench.approvals("gmail_send")
    assert approval.status == "executed"
    begin, close = bench.audit("gmail_send")
    assert (begin.outcome, begin.approval_id) == ("executing", approval.id)
    assert (close.outcome, close.ref_id, close.approval_id) == ("executed", begin.id, approval.id)
    [refused] = bench.audit("calendar_delete_event")
    assert refused.outcome == "failed" and refused.ref_id is None
    # The failing call's error went back to the model, in the same step as the send's result.
    second_prompt = bench.llm.requests[1].prompt_text
    assert "calendar_delete_event could not be prepared" in second_prompt
    assert "sent: Invoice" in second_prompt


def test_an_approval_of_a_step_is_shown_even_when_a_later_call_of_the_step_fails(bench: Bench) -> None:
    bench.script(
        thinking(None, ("gmail_send", send_args(BOSS)), ("calendar_delete_event", MISSING_EVENT)),
        thinking("The send waits for you; the event was not found."),
    )
    result = bench.ask("send the invoice to my boss and cancel the review")
    [waiting] = bench.approvals("gmail_send", "pending")
    assert pending_of(result) == [waiting.id]
    assert f"To: {BOSS}" in result.stderr  # the preview was shown
    assert bench.google.sent == []


def test_ask_holds_for_a_tool_without_side_effects(bench: Bench) -> None:
    bench.set_policy("gmail_draft", "ask")
    bench.script(thinking(None, ("gmail_draft", send_args())), thinking("Drafted."))
    result = bench.ask("draft the invoice mail")
    [waiting] = bench.approvals("gmail_draft", "pending")
    assert pending_of(result) == [waiting.id]
    assert bench.google.drafts == []
    bench.script(thinking("The draft is ready."))
    approved = bench.pa("approve", waiting.id, timeout=120)
    assert "Traceback" not in approved.stderr
    assert len(bench.google.drafts) == 1
    assert bench.store.approvals.get(waiting.id).status == "executed"  # type: ignore[union-attr]
    begin, close = bench.audit("gmail_draft")
    assert (begin.approval_id, close.outcome, close.ref_id) == (waiting.id, "executed", begin.id)


def test_ask_holds_for_fs_write_in_pa_tools_run(bench: Bench) -> None:
    bench.set_policy("fs_write", "ask")
    result = bench.pa("tools", "run", "fs_write", "--args", '{"path": "/a.md", "content": "x"}')
    [waiting] = bench.approvals("fs_write", "pending")
    assert f"pa approve {waiting.id}" in result.stderr
    assert bench.store.vfs.read(bench.user_id, "/a.md") is None


def test_deny_refuses_a_tool_without_side_effects(bench: Bench) -> None:
    bench.set_policy("fs_delete", "deny")
    bench.store.vfs.write(bench.user_id, "/keep.md", "keep me")
    bench.script(thinking(None, ("fs_delete", {"path": "/keep.md"})), thinking("Could not delete."))
    bench.ask("delete my notes")
    assert bench.store.vfs.read(bench.user_id, "/keep.md") is not None
    [refused] = bench.audit("fs_delete")
    assert refused.outcome == "refused"


def test_a_disabled_tool_is_neither_offered_nor_run(bench: Bench) -> None:
    bench.store.agent_configs.update(bench.user_id, enabled_tools=["fs_read", "fs_list"])
    bench.script(
        thinking(None, ("fs_write", {"path": "/evil.md", "content": "pwned"})), thinking("Could not write.")
    )
    result = bench.ask("write a note")
    assert json.loads(result.stdout)["tools_used"] == []
    assert bench.store.vfs.read(bench.user_id, "/evil.md") is None
    [refused] = bench.audit("fs_write")
    assert refused.outcome == "refused"
    offered = bench.llm.requests[0].prompt_text
    assert "fs_read" in offered and "fs_write" not in offered
    assert "not among the enabled tools" in bench.llm.requests[1].prompt_text


def test_a_disabled_tool_does_not_run_from_pa_tools_run(bench: Bench) -> None:
    bench.store.agent_configs.update(bench.user_id, enabled_tools=["fs_read"])
    result = bench.pa("tools", "run", "fs_write", "--args", '{"path": "/evil.md", "content": "pwned"}')
    assert result.returncode == 2
    assert result.stderr.startswith("error: fs_write is not among the enabled tools")
    assert bench.store.vfs.read(bench.user_id, "/evil.md") is None
    assert [r.outcome for r in bench.audit("fs_write")] == ["refused"]
