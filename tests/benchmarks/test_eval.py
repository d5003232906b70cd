"""The evaluation harness in its deterministic mode: every task's scripted replies, through the real `pa`.

This is the "scripted suite" of tool choice: each task's well-formed calls must still lead,
through the compact thinking prompt, the agent, the real `pa ask` and the fake Google, to
the state its checker wants; and every checker must also catch a failure (a model that
answers without acting fails it).
"""

from __future__ import annotations

import pytest

from benchmarks.eval.__main__ import run_all, summary
from benchmarks.eval.tasks import TASKS, Task, thinking


def test_there_are_twenty_tasks_of_every_kind() -> None:
    assert len(TASKS) >= 20
    assert {t.kind for t in TASKS} >= {"read", "search", "draft", "schedule", "triage", "injection"}
    assert len({t.name for t in TASKS}) == len(TASKS)


@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_every_scripted_task_succeeds_through_the_real_pa(task: Task) -> None:
    """One test per task (each runs the real `pa ask`), so the two workers share the tasks out."""
    results = run_all([task], scripted=True)

    failed = {r.name: r.reason for r in results if not r.ok}
    assert failed == {}
    totals = summary(results)
    assert totals["success_rate"] == 1.0
    assert all(r.llm_calls is not None and r.llm_calls >= 2 for r in results)
    assert all(r.input_tokens for r in results)


@pytest.mark.parametrize("name", ["save-note", "schedule-lunch", "draft-late"])
def test_a_model_that_only_talks_fails_the_checker(name: str) -> None:
    task = next(t for t in TASKS if t.name == name)
    lazy = type(task)(
        task.name,
        task.kind,
        task.message,
        task.seed,
        lambda ids, now: [thinking("Done!")],
        task.check,
        task.files,
    )

    [result] = run_all([lazy], scripted=True)

    assert not result.ok and result.reason
