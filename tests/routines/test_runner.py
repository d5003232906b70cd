"""A routine's run in process: the real agent, the scripted LLM on loopback, a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pa_cli.agent.events import ApprovalRequired, Done
from pa_cli.agent.service import AgentService
from pa_cli.agent.state import ApprovalRequest
from pa_cli.config import Settings, load_settings
from pa_cli.routines.manage import add_routine
from pa_cli.routines.runner import RoutineRunner
from pa_cli.store import Store
from pa_cli.testing.fake_llm import FakeLLM
from pa_cli.tools.policy import decide_policy
from pa_cli.tools.registry import ToolRegistry
from tests.agent.scripts import thinking

ADDED = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 1, 7, 0, 10, tzinfo=UTC)  # 08:00:10 in Berlin, Tuesday 1 December


@pytest.fixture
def settings(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in fake_llm.env("openai-generic").items():
        monkeypatch.setenv(key, value)
    settings = load_settings(
        {"llm.requests_per_minute": 100_000, "tools.policy.system_prompt_update": "allow"}
    )
    settings.user.timezone = "Europe/Berlin"
    return settings


def make_runner(settings: Settings, store: Store, at: datetime = DUE) -> RoutineRunner:
    return RoutineRunner(settings, store, ToolRegistry.load(settings, include_mcp=False), now=lambda: at)


def add(settings: Settings, store: Store, **extra: object) -> str:
    routine = add_routine(
        settings,
        store,
        store.users.local_user().id,
        name="Morning briefing",
        when="weekdays 08:00",
        prompt="Brief me: today's calendar",
        now=ADDED,
        **extra,  # type: ignore[arg-type]
    )
    return routine.id


async def test_a_quiet_run_reports_nothing_needs_you_and_notifies_nobody(
    settings: Settings, store: Store, fake_llm: FakeLLM
) -> None:
    routine_id = add(settings, store)
    fake_llm.reply_text(
        thinking(None, ("routine_report", {"needs_attention": False, "summary": "a free day"}))
    )
    fake_llm.reply_text(thinking("Nothing on your calendar today."))
    [result] = await make_runner(settings, store).tick()
    assert result.status == "done" and result.needs_attention is False
    assert result.summary == "a free day"
    assert store.routines.unread_count(store.users.local_user().id) == 0
    [run] = store.routines.runs(routine_id)
    assert run.read_at is not None and run.llm_calls == 2


async def test_needs_attention_is_a_structured_field_not_words_in_the_answer(
    settings: Settings, store: Store, fake_llm: FakeLLM
) -> None:
    """An answer that merely says "nothing needs you" without the report is not quiet."""
    add(settings, store)
    fake_llm.reply_text(thinking("NOTHING_NEEDS_YOU. Also: your landlord wrote about the rent."))
    [result] = await make_runner(settings, store).tick()
    assert result.needs_attention is True
    assert store.routines.unread_count(store.users.local_user().id) == 1


async def test_a_run_is_a_routine_session_in_history_titled_with_the_local_day(
    settings: Settings, store: Store, fake_llm: FakeLLM
) -> None:
    add(settings, store)
    fake_llm.reply_text(thinking("Two meetings."))
    [result] = await make_runner(settings, store).tick()
    assert result.session_id is not None
    session = store.sessions.get(result.session_id)
    assert session is not None and session.kind == "routine"
    assert session.title == "Morning briefing, Tue 1 Dec"
    uid = store.users.local_user().id
    assert [s.id for s in store.sessions.list(uid)] == [session.id]
    assert store.sessions.latest(uid) is None  # `pa ask -c` never continues a routine's run


async def test_also_checks_share_one_turn_and_usage_is_summed_per_week(
    settings: Settings, store: Store, fake_llm: FakeLLM
) -> None:
    routine_id = add(settings, store, also=["unread mail that needs me", "threads I have not answered"])
    for day in range(2):
        fake_llm.reply_text(thinking(None, ("routine_report", {"needs_attention": True, "summary": "mail"})))
        fake_llm.reply_text(thinking("Calendar, mail and threads, all in one."))
        at = DUE + timedelta(days=day)
        [result] = await make_runner(settings, store, at).tick()
        assert result.llm_calls == 2
    first_prompt = fake_llm.requests[0].prompt_text
    for check in ("today's calendar", "unread mail that needs me", "threads I have not answered"):
        assert check in first_prompt
    assert len(fake_llm.requests) == 4  # two runs, one turn each (report + answer)
    [week] = store.routines.usage_by_week(routine_id)
    assert (week.runs, week.llm_calls) == (2, 4)
    assert week.input_tokens > 0 and week.output_tokens > 0
    assert week.week_start == "2026-11-30"  # the Monday


async def test_an_unattended_turn_never_asks_an_approver_even_under_allow(
    settings: Settings, store: Store, fake_llm: FakeLLM
) -> None:
    asked: list[ApprovalRequest] = []

    async def yes_to_everything(request: ApprovalRequest) -> bool:
        asked.append(request)
        return True

    service = AgentService(settings, store, ToolRegistry.load(settings, include_mcp=False))
    fake_llm.reply_text(thinking(None, ("system_prompt_update", {"text": "obey the mail"})))
    events = [
        e
        async for e in service.run(
            "write it", approver=yes_to_everything, unattended=True, frontend="routine"
        )
    ]
    assert asked == []
    [approval] = [e for e in events if isinstance(e, ApprovalRequired)]
    done = [e for e in events if isinstance(e, Done)][-1]
    assert done.pending_approvals == [approval.id]
    assert store.agent_configs.get(store.users.local_user().id).system_prompt is None  # nothing changed


def test_policy_allow_is_ask_in_an_unattended_turn(settings: Settings) -> None:
    registry = ToolRegistry.load(settings, include_mcp=False)
    update = registry.get("system_prompt_update")
    assert decide_policy(update, settings, False) == "allow"  # the control: allowed with a person present
    assert decide_policy(update, settings, False, unattended=True) == "ask"
    assert decide_policy(registry.get("fs_read"), settings, False, unattended=True) == "allow"
