"""Memory end to end: the real `pa` against the scripted LLM (both wire formats for recall).

A fact said in one session is in the request the model gets in a NEW session; forgetting it
takes it out; a contradiction updates the old fact instead of piling up; export and import
round-trip; `memory.enabled = false` turns it all off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner


@pytest.fixture(params=["openai-generic", "gemini"])
def llm(request: pytest.FixtureRequest, fake_llm: FakeLLM, pa: PaRunner) -> FakeLLM:
    pa.extra_env.update(fake_llm.env(request.param))
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    return fake_llm


def ask(pa: PaRunner, *args: str) -> dict[str, Any]:
    result = pa("ask", "--json", *args, timeout=120)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def memories(pa: PaRunner) -> list[dict[str, Any]]:
    result = pa("memory", "list", "--json")
    assert result.returncode == 0, result.stderr
    listed: list[dict[str, Any]] = json.loads(result.stdout)
    return listed


def test_a_fact_said_in_one_session_is_recalled_in_a_new_one(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking(None, ("memory_save", {"text": "The user's manager is Sam"})))
    llm.reply_text(thinking("Noted: Sam is your manager."))
    first = ask(pa, "remember that Sam is my manager")
    [fact] = memories(pa)
    assert fact["text"] == "The user's manager is Sam" and fact["source"] == "turn"
    assert fact["session_id"] == first["session_id"] and fact["untrusted"] is False

    llm.reset()
    llm.reply_text(thinking(f"Your manager is Sam [{fact['id']}]."))
    second = ask(pa, "who is my manager?")
    assert second["session_id"] != first["session_id"]
    assert second["memories"] == [fact["id"]]
    assert f"[{fact['id']}] The user's manager is Sam" in llm.requests[0].prompt_text
    assert memories(pa)[0]["last_used_at"] is not None


def test_forget_removes_a_fact_from_recall(fake_llm: FakeLLM, pa: PaRunner) -> None:
    pa.extra_env.update(fake_llm.env())
    added = pa("memory", "add", "My manager is Sam")
    assert added.returncode == 0, added.stderr
    memory_id = added.stdout.split()[0]
    fake_llm.reply_text(thinking("Sam."))
    assert ask(pa, "who is my manager?")["memories"] == [memory_id]
    assert "My manager is Sam" in fake_llm.requests[0].prompt_text

    forgot = pa("memory", "forget", memory_id)
    assert forgot.returncode == 0 and "forgot" in forgot.stdout
    fake_llm.reset()
    fake_llm.reply_text(thinking("I don't know."))
    assert ask(pa, "who is my manager?")["memories"] == []
    assert "My manager is Sam" not in fake_llm.requests[0].prompt_text


def test_pinned_facts_are_recalled_in_every_turn_and_unrelated_ones_are_not(
    fake_llm: FakeLLM, pa: PaRunner
) -> None:
    pa.extra_env.update(fake_llm.env())
    assert pa("memory", "add", "--pin", "Answer in British English").returncode == 0
    assert pa("memory", "add", "The offsite is the Lisbon kickoff").returncode == 0
    fake_llm.reply_text(thinking("Hello."))
    ask(pa, "good morning")
    prompt = fake_llm.requests[0].prompt_text
    assert "Answer in British English" in prompt
    assert "Lisbon" not in prompt


def test_a_contradiction_updates_the_old_fact_after_showing_it_to_the_model(
    fake_llm: FakeLLM, pa: PaRunner
) -> None:
    pa.extra_env.update(fake_llm.env())
    old_id = pa("memory", "add", "My manager is Sam").stdout.split()[0]
    fake_llm.reply_text(thinking(None, ("memory_save", {"text": "Sam left; my manager is Priya"})))
    fake_llm.reply_text(
        thinking(None, ("memory_save", {"text": "Sam left; my manager is Priya", "replaces": [old_id]}))
    )
    fake_llm.reply_text(thinking("Updated: Priya is your manager."))
    data = ask(pa, "Sam left, my manager is Priya now")
    # The first save was held back and the model was shown the near-duplicate with its id.
    second_call = fake_llm.requests[1].prompt_text
    assert "not saved yet" in second_call and old_id in second_call and "My manager is Sam" in second_call
    assert data["tools_used"] == ["memory_save"]
    assert [m["text"] for m in memories(pa)] == ["Sam left; my manager is Priya"]


def test_export_and_import_round_trip(fake_llm: FakeLLM, pa: PaRunner, tmp_path: Path) -> None:
    pa.extra_env.update(fake_llm.env())
    assert pa("memory", "add", "--pin", "Never book meetings before ten").returncode == 0
    assert pa("memory", "add", "The offsite is the Lisbon kickoff").returncode == 0
    before = memories(pa)
    exported = pa("memory", "export", "--output", str(tmp_path / "memories.md"))
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "memories.md").read_text("utf-8")
    assert text.startswith("# pa memories") and "- Never book meetings before ten" in text

    elsewhere = {"PA_HOME": str(tmp_path / "another-home")}
    imported = pa("memory", "import", str(tmp_path / "memories.md"), env=elsewhere)
    assert imported.returncode == 0, imported.stderr
    assert "imported 2 fact(s); 0 already remembered" in imported.stdout
    again = pa("memory", "import", str(tmp_path / "memories.md"), env=elsewhere)
    assert "imported 0 fact(s); 2 already remembered" in again.stdout
    after = json.loads(pa("memory", "list", "--json", env=elsewhere).stdout)

    def kept(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(r["id"], r["text"], r["pinned"], r["source"], r["untrusted"], r["created_at"]) for r in rows]

    assert kept(after) == kept(before)


def test_memory_enabled_false_turns_it_all_off(fake_llm: FakeLLM, pa: PaRunner) -> None:
    pa.extra_env.update(fake_llm.env())
    assert pa("memory", "add", "My manager is Sam").returncode == 0
    assert pa("config", "set", "memory.enabled", "false").returncode == 0
    fake_llm.reply_text(thinking("I don't know."))
    data = ask(pa, "who is my manager?")
    prompt = fake_llm.requests[0].prompt_text
    assert data["memories"] == [] and "My manager is Sam" not in prompt
    assert "memory_save" not in prompt and "memory_search" not in prompt
    refused = pa("memory", "add", "I like tea")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: memory is turned off (memory.enabled = false)")
    assert "Traceback" not in refused.stderr
    assert [m["text"] for m in memories(pa)] == ["My manager is Sam"]  # still yours to see


def test_a_direct_tool_run_is_the_users_own_fact(fake_llm: FakeLLM, pa: PaRunner) -> None:
    pa.extra_env.update(fake_llm.env())
    ran = pa("tools", "run", "memory_save", "--args", '{"text": "I prefer tea"}')
    assert ran.returncode == 0, ran.stderr
    [fact] = memories(pa)
    assert (fact["text"], fact["source"], fact["untrusted"]) == ("I prefer tea", "you", False)
    searched = pa("tools", "run", "memory_search", "--args", '{"query": "tea"}')
    assert searched.returncode == 0 and "I prefer tea" in searched.stdout
