"""README's two one-line commands: the install brings what a user needs (no dev group); the tests bring it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Options with which uv adds the dev group (or every group) to the environment.
PULLS_DEV = {"--dev", "--only-dev", "--all-groups"}


def _command_under(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1]
    block = re.search(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert block is not None, f"no sh block under {heading!r}"
    return block.group(1).strip()


def _uv_steps(command: str) -> list[list[str]]:
    steps = [shlex.split(part) for part in command.split("&&")]
    return [step for step in steps if step[:1] == ["uv"]]


def test_the_install_command_never_pulls_the_dev_group() -> None:
    command = _command_under("Install and run (one command)")
    steps = _uv_steps(command)
    assert [step[1] for step in steps] == ["sync", "run"]
    for step in steps:
        # uv sync and uv run both install the default groups (dev) unless told not to.
        assert "--no-dev" in step or "--no-default-groups" in step, step
        assert not PULLS_DEV & set(step), step
        groups = [step[i + 1] for i, arg in enumerate(step[:-1]) if arg == "--group"]
        assert "dev" not in groups, step


def test_the_test_command_still_brings_the_dev_group_and_ci_runs_it() -> None:
    command = _command_under("Run the whole test suite (one command)")
    assert command == "uv run --locked pytest -n 2"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci
