"""``python -m benchmarks.eval [--scripted] [--only NAME ...]``: the evaluation harness.

Live (default when ``PA_LLM_PROVIDER`` is set): every task runs against the LLM the
``PA_LLM_*`` variables configure (any provider: a local llama.cpp or Ollama server, or a
hosted one with its key). Scripted (``--scripted``, or no provider configured): the fake
LLM replays each task's well-formed replies; deterministic, run in CI by
tests/benchmarks/test_eval.py. Prints one line per task (ok, LLM calls, input/output
tokens, seconds) and the success rate; ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from datetime import datetime
from typing import Any

from benchmarks.eval.runner import TaskResult, run_task
from benchmarks.eval.tasks import TASKS, Task


def run_all(tasks: list[Task], *, scripted: bool) -> list[TaskResult]:
    from pa_cli.testing.fake_google import FakeGoogle
    from pa_cli.testing.fake_llm import FakeLLM

    results = []
    with FakeGoogle() as google:
        if not scripted:
            llm_env = {k: v for k, v in os.environ.items() if k.startswith("PA_LLM_")}
            for task in tasks:
                results.append(report(run_task(task, google, llm_env)))
            return results
        with FakeLLM() as llm:
            for task in tasks:

                def queue(ids: dict[str, str], now: datetime, task: Task = task) -> None:
                    llm.reset()
                    llm.script(*task.script(ids, now))

                results.append(report(run_task(task, google, llm.env(), before=queue)))
    return results


def _figure(value: Any) -> str:
    return "-" if value is None else str(value)


def report(result: TaskResult) -> TaskResult:
    mark = "ok  " if result.ok else "FAIL"
    print(
        f"{mark} {result.name:<22} {result.kind:<10} calls={_figure(result.llm_calls):>3} "
        f"in={_figure(result.input_tokens):>6} out={_figure(result.output_tokens):>5} "
        f"{result.seconds:6.1f}s" + (f"  {result.reason}" if result.reason else ""),
        flush=True,
    )
    return result


def summary(results: list[TaskResult]) -> dict[str, Any]:
    done = sum(r.ok for r in results)

    def total(name: str) -> int | None:
        values = [getattr(r, name) for r in results if getattr(r, name) is not None]
        return sum(values) if values else None

    return {
        "tasks": len(results),
        "succeeded": done,
        "success_rate": round(done / len(results), 3) if results else 0.0,
        "llm_calls": total("llm_calls"),
        "input_tokens": total("input_tokens"),
        "output_tokens": total("output_tokens"),
        "seconds": round(sum(r.seconds for r in results), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eval")
    parser.add_argument("--scripted", action="store_true", help="replay each task's scripted replies")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these tasks")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    args = parser.parse_args(argv)
    tasks = [t for t in TASKS if not args.only or t.name in args.only]
    if not tasks:
        sys.stderr.write(f"no such task; choose from {', '.join(t.name for t in TASKS)}\n")
        return 2
    scripted = args.scripted or not os.environ.get("PA_LLM_PROVIDER")
    print(f"mode: {'scripted' if scripted else 'live: ' + os.environ.get('PA_LLM_PROVIDER', '')}", flush=True)
    results = run_all(tasks, scripted=scripted)
    totals = summary(results)
    print(
        f"success {totals['succeeded']}/{totals['tasks']} ({totals['success_rate']:.0%}), "
        f"LLM calls {_figure(totals['llm_calls'])}, input tokens {_figure(totals['input_tokens'])}, "
        f"output tokens {_figure(totals['output_tokens'])}, {totals['seconds']} s",
        flush=True,
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"summary": totals, "tasks": [asdict(r) for r in results]}, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
