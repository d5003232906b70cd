"""Run `pa` with an audit hook that writes, in order, the first import of each watched package and
every LLM request written (the ``pa.llm.request_sent`` audit event: ``request``), and the request sent
ahead before pa loads, as it is tried (``pa.llm.request_ahead``: ``ahead``).

Usage: ``python tests/cli/import_probe.py OUT_FILE pa-arguments...``. One line per event in OUT_FILE,
``import NAME``, ``request`` or ``ahead``, written when the process exits. An audit hook sees the imports of
every thread as they happen, so the file gives their true order, not a guess from ``sys.modules``.
"""

from __future__ import annotations

import atexit
import os
import runpy
import subprocess
import sys
from pathlib import Path

WATCHED = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "textual",
    "fastapi",
    "googleapiclient",
    *tuple(name for name in os.environ.get("IMPORT_PROBE_ALSO", "").split(",") if name),
)


def main() -> None:
    out_file, pa_args = sys.argv[1], sys.argv[2:]
    events: list[str] = []

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event == "import":
            name = str(args[0])
            if name in WATCHED:
                events.append(f"import {name}")
        elif event == "pa.llm.request_sent":
            events.append("request")
        elif event == "pa.llm.request_ahead":
            events.append("ahead")

    def write() -> None:
        with open(out_file, "w", encoding="utf-8") as handle:
            handle.write("\n".join(events) + "\n")

    sys.addaudithook(hook)
    atexit.register(write)
    sys.argv = ["pa", *pa_args]
    runpy.run_module("pa_cli", run_name="__main__", alter_sys=True)


def run_probed(
    env: dict[str, str], out_file: Path, *pa_args: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run `pa PA_ARGS` under this probe: the finished process and its events, in order."""
    result = subprocess.run(
        [sys.executable, __file__, str(out_file), *pa_args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    return result, out_file.read_text(encoding="utf-8").splitlines() if out_file.exists() else []


if __name__ == "__main__":
    main()
