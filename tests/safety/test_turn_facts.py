"""Facts of a turn that a person relies on, through the real `pa`: history paging, the user's time
zone in the prompt, and the partial answer kept when the model's stream breaks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner

if TYPE_CHECKING:
    from pa_cli.store import Store


@pytest.fixture
def llm(fake_llm: FakeLLM, pa: PaRunner) -> FakeLLM:
    pa.extra_env.update(fake_llm.env())
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    return fake_llm


@pytest.mark.parametrize("n", [1, 3, 4])
def test_history_list_n_returns_exactly_n_sessions(pa: PaRunner, store: Store, n: int) -> None:
    user = store.users.local_user()
    made = [store.sessions.create(user.id, title=f"session {i}").id for i in range(5)]
    listed = pa("history", "list", "-n", str(n), "--json")
    assert listed.returncode == 0, listed.stderr
    ids = [s["id"] for s in json.loads(listed.stdout)]
    assert ids == made[::-1][:n]


def _zone_whose_date_differs_from_utc(now: datetime) -> str:
    """A real zone where today's date is not UTC's: the prompt can only be right by using it."""
    return "Pacific/Kiritimati" if now.hour >= 10 else "Pacific/Pago_Pago"  # UTC+14, UTC-11


def test_a_turn_prompt_names_the_configured_zone_and_todays_date_in_it(pa: PaRunner, llm: FakeLLM) -> None:
    zone = _zone_whose_date_differs_from_utc(datetime.now(UTC))
    assert pa("config", "set", "user.timezone", zone).returncode == 0
    before = datetime.now(ZoneInfo(zone))
    assert before.date() != datetime.now(UTC).date()  # so the system's zone (UTC) would give another date
    llm.reply_text(thinking("Hello."))
    result = pa("ask", "hello", env={"TZ": "UTC"})
    after = datetime.now(ZoneInfo(zone))
    assert result.returncode == 0, result.stderr
    prompt = llm.requests[0].prompt_text
    match = re.search(rf"time zone, {re.escape(zone)} \((\d{{4}}-\d\d-\d\d)T[\d:]+([+-]\d\d:\d\d)\)", prompt)
    assert match, prompt
    assert match.group(1) in {before.date().isoformat(), after.date().isoformat()}
    assert match.group(2) == before.strftime("%z")[:3] + ":" + before.strftime("%z")[3:]


def test_partial_answer_is_kept_exactly_as_streamed_when_the_model_fails(pa: PaRunner, llm: FakeLLM) -> None:
    assert pa("config", "set", "llm.max_retries", "0").returncode == 0
    reply = thinking("Once upon a time there was a fox who lived by the river and never slept.")
    cut = reply.index("lived")
    llm.reply_text("", chunks=[reply[:cut], reply[cut:]], delay_between_chunks_ms=300, drop_after_chunks=1)
    llm.fail(500, times=5)
    result = pa("ask", "tell me a story")
    assert result.returncode == 1
    shown_to_user = result.stdout.strip()
    assert shown_to_user.startswith("Once upon a time")
    session = json.loads(pa("history", "list", "--json").stdout)[0]["id"]
    messages = json.loads(pa("history", "show", session, "--json").stdout)["messages"]
    kept = [(m["role"], m["status"], m["content"].strip()) for m in messages if m["role"] == "assistant"]
    assert kept == [("assistant", "incomplete", shown_to_user)]
