"""`pa` ends without tearing the interpreter down, yet exits exactly as sys.exit would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_CHILD = textwrap.dedent(
    """
    import atexit, sys
    from pa_cli.__main__ import exit_now

    atexit.register(lambda: open(sys.argv[1], "w").write("exit handlers ran"))
    sys.stdout.write("buffered, no newline")  # still in the buffer when the process ends
    code = sys.argv[2]
    exit_now(None if code == "none" else int(code) if code.isdigit() else code)
    raise AssertionError("exit_now returned")
    """
)


@pytest.mark.parametrize(
    ("code", "status", "stderr"),
    [("none", 0, ""), ("0", 0, ""), ("4", 4, ""), ("gone wrong", 1, "gone wrong\n")],
)
def test_exit_now_keeps_sys_exits_meaning(tmp_path: Path, code: str, status: int, stderr: str) -> None:
    marker = tmp_path / "atexit.txt"
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(marker), code], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout, result.stderr) == (status, "buffered, no newline", stderr)
    assert marker.read_text(encoding="utf-8") == "exit handlers ran"


def test_the_real_command_exits_with_its_code(tmp_path: Path) -> None:
    """Usage errors keep exit code 2 and their one line through the fast exit."""
    result = subprocess.run(
        [sys.executable, "-m", "pa_cli", "config", "get", "no.such.key"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_work_queued_on_threads_is_finished_first(tmp_path: Path) -> None:
    """As at Python's own exit: a thread pool's queued work (the audit anchor's) and non-daemon threads."""
    child = textwrap.dedent(
        """
        import sys, threading, time
        from concurrent.futures import ThreadPoolExecutor
        from pathlib import Path
        from pa_cli.__main__ import exit_now

        def later(name):
            time.sleep(0.3)
            Path(sys.argv[1], name).write_text("done")

        ThreadPoolExecutor(max_workers=1).submit(later, "pool")
        threading.Thread(target=later, args=("thread",)).start()
        exit_now(0)
        """
    )
    result = subprocess.run([sys.executable, "-c", child, str(tmp_path)], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pool", "thread"]
