"""cosmic-ray's test command: pytest, in this process, with the mutant's wall and CPU time logged.

`python -m tests.mutation.timed LOG -- PYTEST ARGS...` appends one line "wall cpu exit" to LOG. The CPU
time (this process and its children: `pa` subprocesses, servers) is what lets a run measured on a
loaded machine be extrapolated to a quiet one, where wall time would mostly be other people's work.
"""

from __future__ import annotations

import os
import resource
import sys
import time


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str]) -> int:
    log, separator, *pytest_args = argv
    if separator != "--":
        raise SystemExit("usage: python -m tests.mutation.timed LOG -- PYTEST ARGS...")
    started = time.monotonic()
    import pytest

    code = int(pytest.main(pytest_args))
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"{time.monotonic() - started:.3f} {_cpu():.3f} {code}\n")
    return code


if __name__ == "__main__":
    sys.stdout.flush()
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # no waiting on stray non-daemon threads a mutant may have left running
