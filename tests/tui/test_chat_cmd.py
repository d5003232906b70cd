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


def test_the_chat_screen_loads_no_orm_pydantic_model_or_markdown_parser_before_its_first_frame() -> None:
    """What the first frame needs (pa_cli.tui.app, the command) leaves the rest to the opening thread."""
    code = (
        "import sys\n"
        "import pa_cli.cli.chat_cmd, pa_cli.tui.app\n"
        "heavy = ('sqlalchemy', 'sqlmodel', 'alembic', 'markdown_it', 'baml_py', 'pocketflow')\n"
        "ours = ('pa_cli.config', 'pa_cli.agent.events', 'pa_cli.agent.service', 'pa_cli.store.store',"
        " 'pa_cli.tools.registry', 'pa_cli.tui.screens')\n"
        "print(sorted({m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(ours)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
