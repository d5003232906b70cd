"""The chat TUI's responsiveness against the scripted LLM, with the real agent in between.

Two figures:

- keypress to first token: from pressing Enter to the first frame that shows the answer's first
  word (the app runs headless; every frame the compositor produces is rendered to the text a
  terminal would receive and searched, which is also what a real terminal driver pays for);
- a 20,000-token streamed Markdown answer (paragraphs, lists, code): the time until the last
  word is on screen, compared with the time until the agent delivered the last token (measured
  on the agent's thread, where the events leave AgentService). A ratio near 1 means rendering
  keeps up with the stream instead of falling behind it.

Run: `uv run python -m benchmarks.bench_tui`.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

from benchmarks.stats import summarize_ms
from pa_cli.testing.fake_llm import FakeLLM, Reply

LATENCY_RUNS = 10
LONG_TOKENS = 20_000
CHARS_PER_TOKEN = 4  # the fake's usage estimate, and a fair average for English
FIRST_WORD, LAST_WORD = "Aardvark", "Zyzzyva"


def _thinking(answer: str) -> str:
    return json.dumps({"thought": "", "tool_calls": [], "answer": answer})


def long_answer(tokens: int = LONG_TOKENS) -> str:
    """Realistic Markdown: headings, paragraphs, lists and fenced code, about ``tokens`` tokens long."""
    parts = [f"{FIRST_WORD}: here is the full report.\n"]
    section = 0
    while sum(len(p) for p in parts) < tokens * CHARS_PER_TOKEN:
        section += 1
        parts.append(f"\n## Section {section}\n\n")
        parts.append(
            "This paragraph explains the findings of the section in plain words, with **bold** and "
            "`inline code`, long enough to wrap over several lines of an 80-column terminal. " * 3 + "\n\n"
        )
        parts.append("".join(f"- item {i} of section {section}: check the numbers\n" for i in range(5)))
        parts.append(
            "\n```python\n"
            + "".join(
                f"def step_{section}_{i}(x: int) -> int:\n    return x * {i} + {section}\n\n"
                for i in range(3)
            )
            + "```\n"
        )
    parts.append(f"\nThat is all. {LAST_WORD}.\n")
    return "".join(parts)


def _bench_app_class() -> type[Any]:
    from textual._compositor import CompositorUpdate

    from pa_cli.tui.app import ChatApp

    class BenchApp(ChatApp):
        """Renders every frame as a terminal would and notes when watched words first appear."""

        seen_at: dict[str, float | None] = {}

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if isinstance(renderable, CompositorUpdate):
                text = renderable.render_segments(self.console)
                for word, seen in self.seen_at.items():
                    if seen is None and word in text:
                        self.seen_at[word] = time.monotonic()

    return BenchApp


def _timed_service(service: Any, marks: dict[str, float]) -> None:
    """Note on the agent thread when the first token and the end of the turn leave AgentService."""
    from pa_cli.agent.events import Done, TextDelta

    original = service.run

    async def run(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async for event in original(*args, **kwargs):
            now = time.monotonic()
            if isinstance(event, TextDelta):
                marks.setdefault("first_token", now)
                marks["last_token"] = now
            elif isinstance(event, Done):
                marks["done"] = now
            yield event

    service.run = run


async def _turn(app: Any, pilot: Any, marks: dict[str, float], words: list[str], within: float) -> float:
    marks.clear()
    app.seen_at = dict.fromkeys(words)
    app.prompt.load_text("go")
    pressed = time.monotonic()
    await pilot.press("enter")
    deadline = pressed + within
    while app.turn is not None or any(v is None for v in app.seen_at.values()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the turn did not finish within {within} s: {app.seen_at}")
        await asyncio.sleep(0.005)
    return pressed


async def _without_ui(service: Any, fake: FakeLLM, answer: str) -> float:
    """How long the agent takes to deliver the same answer when nothing renders it."""
    from pa_cli.agent.events import TextDelta

    fake.script(_long_reply(answer))
    started = time.monotonic()
    last = started
    async for event in service.run("go"):
        if isinstance(event, TextDelta):
            last = time.monotonic()
    return last - started


def _long_reply(answer: str) -> Reply:
    return Reply(text=_thinking(answer), chunk_size=4 * CHARS_PER_TOKEN, delay_between_chunks_ms=1)


async def _measure(fake: FakeLLM) -> dict[str, object]:
    from pa_cli.agent.service import AgentService
    from pa_cli.config import load_settings

    service = AgentService.open(load_settings())
    marks: dict[str, float] = {}
    _timed_service(service, marks)
    app = _bench_app_class()(service, show_sidebar=False)
    results: dict[str, object] = {}
    async with app.run_test(size=(100, 32)) as pilot:
        fake.script(_thinking(f"{FIRST_WORD}, warming up."))
        await _turn(app, pilot, marks, [FIRST_WORD], 60)

        firsts, agent_firsts = [], []
        for _ in range(LATENCY_RUNS):
            await pilot.press("ctrl+n")
            fake.script(Reply(text=_thinking(f"{FIRST_WORD} says hello."), chunk_size=8))
            pressed = await _turn(app, pilot, marks, [FIRST_WORD], 60)
            firsts.append(app.seen_at[FIRST_WORD] - pressed)
            agent_firsts.append(marks["first_token"] - pressed)
        results["keypress_to_first_token_on_screen"] = summarize_ms(firsts)
        results["keypress_to_first_token_from_agent"] = summarize_ms(agent_firsts)

        answer = long_answer()
        fake.script(_long_reply(answer))
        await pilot.press("ctrl+n")
        pressed = await _turn(app, pilot, marks, [FIRST_WORD, LAST_WORD], 600)
        received = marks["last_token"] - pressed
        rendered = app.seen_at[LAST_WORD] - pressed
        results["long_answer"] = {
            "tokens": round(len(answer) / CHARS_PER_TOKEN),
            "characters": len(answer),
            "received_s": round(received, 3),
            "rendered_s": round(rendered, 3),
            "render_to_receive_ratio": round(rendered / received, 3),
            "lag_after_last_token_ms": round((rendered - received) * 1000, 1),
            "first_token_on_screen_ms": round((app.seen_at[FIRST_WORD] - pressed) * 1000, 1),
        }
    alone = await _without_ui(service, fake, answer)
    long = results["long_answer"]
    assert isinstance(long, dict)
    long["received_without_ui_s"] = round(alone, 3)
    long["render_to_receive_without_ui_ratio"] = round(long["rendered_s"] / alone, 3)
    service.store.close()
    return results


def run() -> dict[str, object]:
    with FakeLLM() as fake, tempfile.TemporaryDirectory() as home:
        saved = dict(os.environ)
        os.environ.update({"PA_HOME": home, **fake.env("openai-generic", model="fake")})
        os.environ.setdefault("PA_SECRET_BACKEND", "file")
        os.environ.setdefault("PA_KEYRING_PASSPHRASE", "bench")
        try:
            results = asyncio.run(_measure(fake))
        finally:
            os.environ.clear()
            os.environ.update(saved)
    first = results["keypress_to_first_token_on_screen"]
    long = results["long_answer"]
    assert isinstance(first, dict) and isinstance(long, dict)
    print(f"   keypress -> first token on screen: median {first['median_ms']} ms (p95 {first['p95_ms']})")
    print(
        f"   {long['tokens']}-token answer: received in {long['received_s']} s, on screen in "
        f"{long['rendered_s']} s (ratio {long['render_to_receive_ratio']}); the agent alone takes "
        f"{long['received_without_ui_s']} s (ratio {long['render_to_receive_without_ui_ratio']})"
    )
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
