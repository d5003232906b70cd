"""Recall over 10,000 memories: what remembering adds to each turn.

Builds a SQLite database through the real migrations and FTS triggers holding
10,000 synthetic facts of one user (Zipf-distributed words, 5 to 25 each, 20 of
them pinned), then for ~50 varied messages times the work a turn does for
memory before its first LLM call: the recall query, the token budget, marking
the recalled facts used (one UPDATE), and turning them into prompt notes
(``pa_cli.memory.recall.recall_notes``, what ``AgentService`` calls). Each
message three times after a warm-up. Target: median <= 5 ms. The process's CPU
time per recall is printed too: on a loaded machine wall time mostly measures
waiting for a core.

It also runs whole in-process turns (``AgentService.run`` against the scripted
LLM on loopback) with memory on and off, and reports the difference of their
medians: noisier, but it is the cost as a turn sees it, prompt rendering included.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.bench_fts import _WORDS
from benchmarks.stats import summarize_ms

if TYPE_CHECKING:
    from pa_cli.store import Store

MEMORIES = 10_000
PINNED = 20
ROUNDS = 3
TURNS = 30
TARGET_MEDIAN_MS = 5.0

MESSAGES = [
    "who is my manager?",
    "book a meeting with Anna tomorrow at nine",
    "what did the client say about the contract?",
    "remind me about the dentist appointment",
    "draft a reply to the invoice mail",
    "when is the quarterly budget review deadline?",
    "find a free hour next week for the project kickoff",
    "what's on my calendar on Friday?",
    "send the slides for the conference call",
    "hello",
    "thanks!",
    "summarise my inbox",
    "is the flight to the conference booked? which hotel?",
    "plan the offsite for the team",
    "what do I usually eat for lunch?",
    "cancel the subscription renewal",
    "reschedule the interview with the candidate",
    "what's the wifi password at the office?",
    "zyzzyva qwertyuiop",
    "",
    'OR NEAR(" -',
    "I never take meetings before ten, right?",
    "who should review the server database migration?",
    "my birthday is in march; plan dinner",
    "order a taxi to the airport on monday",
]


def _fact(rng: random.Random, weights: list[float]) -> str:
    return " ".join(rng.choices(_WORDS, weights=weights, k=rng.randint(5, 25))).capitalize() + "."


def build(path: Path) -> tuple[Store, int, float]:
    from pa_cli.memory.words import key_words  # noqa: F401  (import cost outside the timings)
    from pa_cli.store import open_store
    from pa_cli.store.models import Memory
    from pa_cli.store.repositories.memories import new_memory_id
    from pa_cli.store.types import utcnow

    started = time.perf_counter()
    store = open_store(url=f"sqlite:///{path}")
    user_id = store.users.local_user().id
    rng = random.Random(20261203)
    weights = [1.0 / (rank + 1) ** 1.07 for rank in range(len(_WORDS))]
    rng.shuffle(weights)
    now = utcnow()
    rows = [
        {
            "id": new_memory_id(),
            "user_id": user_id,
            "text": _fact(rng, weights),
            "source": "you",
            "pinned": i < PINNED,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(MEMORIES)
    ]
    table = Memory.__table__  # type: ignore[attr-defined]
    with store.engine.begin() as conn:
        conn.execute(table.insert(), rows)
    return store, user_id, time.perf_counter() - started


def _recall_samples(path: Path) -> tuple[list[float], list[float], list[int]]:
    from pa_cli.config import load_settings
    from pa_cli.memory.recall import recall_notes

    store, user_id, _ = build(path)
    settings = load_settings()
    try:
        for message in MESSAGES[:5]:
            recall_notes(settings, store, user_id, message)  # warm caches
        samples: list[float] = []
        cpu: list[float] = []
        recalled: list[int] = []
        for _ in range(ROUNDS):
            for message in MESSAGES:
                started, started_cpu = time.perf_counter(), time.process_time()
                notes, _taint = recall_notes(settings, store, user_id, message)
                cpu.append(time.process_time() - started_cpu)
                samples.append(time.perf_counter() - started)
                recalled.append(len(notes))
    finally:
        store.close()
    return samples, cpu, recalled


async def _turns(enabled: bool) -> list[float]:
    from pa_cli.agent.service import AgentService
    from pa_cli.config import load_settings
    from pa_cli.testing.fake_llm import FakeLLM
    from pa_cli.tools.registry import ToolRegistry

    answer = json.dumps({"thought": "", "tool_calls": [], "answer": "Noted."})
    with FakeLLM(default=None) as fake:
        os.environ.update(fake.env("openai-generic"))
        settings = load_settings({"memory.enabled": enabled})
        from pa_cli.store import open_store

        store = open_store(settings)
        service = AgentService(settings, store, ToolRegistry.load(settings, include_mcp=False))
        samples: list[float] = []
        try:
            for i in range(TURNS + 3):
                fake.reply_text(answer)
                started = time.perf_counter()
                async for _event in service.run(MESSAGES[i % len(MESSAGES)] or "hi"):
                    pass
                if i >= 3:  # warm-up: BAML import, first connection
                    samples.append(time.perf_counter() - started)
        finally:
            store.close()
    return samples


def _turn_delta_ms(home: Path, db: Path) -> tuple[float, float]:
    os.environ["PA_HOME"] = str(home)
    os.environ["PA_DATABASE_URL"] = f"sqlite:///{db}"
    off = asyncio.run(_turns(False))
    on = asyncio.run(_turns(True))
    return statistics.median(on) * 1000, statistics.median(off) * 1000


def run() -> dict[str, float]:
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="pa-bench-memory-") as tmp:
        os.environ["PA_HOME"] = tmp
        try:
            samples, cpu, recalled = _recall_samples(Path(tmp) / "recall.db")
            store, _, build_s = build(Path(tmp) / "turns.db")
            store.close()
            on_ms, off_ms = _turn_delta_ms(Path(tmp), Path(tmp) / "turns.db")
        finally:
            os.environ.clear()
            os.environ.update(saved)
    summary = summarize_ms(samples)
    result: dict[str, float] = {
        "memories": float(MEMORIES),
        "messages": float(len(MESSAGES)),
        "build_s": round(build_s, 2),
        **{k: float(v) for k, v in summary.items()},
        "cpu_median_ms": round(statistics.median(cpu) * 1000, 2),
        "mean_recalled": round(statistics.mean(recalled), 1),
        "turn_median_on_ms": round(on_ms, 2),
        "turn_median_off_ms": round(off_ms, 2),
        "turn_delta_ms": round(on_ms - off_ms, 2),
    }
    verdict = "ok" if result["median_ms"] <= TARGET_MEDIAN_MS else "OVER TARGET"
    print(
        f"   recall over {MEMORIES:,} memories ({len(MESSAGES)} messages x {ROUNDS}): "
        f"median {result['median_ms']} ms (CPU time {result['cpu_median_ms']} ms), "
        f"p95 {result['p95_ms']} ms, max {result['max_ms']} ms, "
        f"{result['mean_recalled']} facts recalled on average "
        f"(target median <= {TARGET_MEDIAN_MS:.0f} ms: {verdict})"
    )
    print(
        f"   whole in-process turns ({TURNS} each): median {on_ms:.1f} ms with memory, "
        f"{off_ms:.1f} ms without: {on_ms - off_ms:+.1f} ms"
    )
    return result


if __name__ == "__main__":
    run()
