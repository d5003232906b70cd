"""The `pa chat` command: lazy imports, and what it says when it cannot run."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PaRunner


def test_the_cli_does_not_import_textual_until_pa_chat_runs() -> None:
    code = (
        "import sys\n"
        "from pa_cli.cli import app\n"
        "from typer.main import get_command\n"
        "get_command(app.app)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or m.startswith('pa_cli.tui')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_pa_chat_without_a_terminal_says_to_use_pa_ask(pa: PaRunner) -> None:
    result = pa("chat")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: `pa chat` needs a terminal; use `pa ask` in scripts and pipes"


def test_pa_chat_help_shows_the_session_option(pa: PaRunner) -> None:
    result = pa("chat", "--help")
    assert result.returncode == 0
    assert "--session" in result.stdout
