"""Issue 12's prompt budget, kept: the thinking prompt for a plain question, with every built-in and
Google tool offered, stays within 1,200 input tokens (benchmarks/bench_prompt.py; characters / 4).

A size, not a time: deterministic, so it is a test as well as a benchmark figure."""

from __future__ import annotations

from benchmarks import bench_prompt


def test_the_thinking_prompt_for_hello_with_every_tool_fits_the_budget(monkeypatch: object) -> None:
    monkeypatch.delenv("PA_BENCH_TOKENIZE_URL", raising=False)  # type: ignore[attr-defined]
    figures = bench_prompt.measure()

    assert figures["tools"] >= 29  # plan, fs, system prompt, memory, Gmail, Calendar, contacts
    assert figures["input_tokens"] <= bench_prompt.BUDGET_TOKENS == 1200, figures
