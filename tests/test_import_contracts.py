"""The import contracts in pyproject.toml ([tool.importlinter]) hold, and they do catch a wrong-way import.

The real `lint-imports` runs on the package, then on a copy of it with one deliberate violation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(cwd), "NO_COLOR": "1", "COLUMNS": "400"}
    return subprocess.run(
        [str(exe), "--config", str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _copy_with(tmp_path: Path, module: str, source: str) -> Path:
    """A copy of the package (sources and pyproject.toml) with ``module`` added."""
    shutil.copytree(
        ROOT / "pa_cli", tmp_path / "pa_cli", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / (module.replace(".", "/") + ".py")
    path.write_text(source, encoding="utf-8")
    return tmp_path


def test_the_package_keeps_its_import_contracts() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        # the store reaching up into the agent (even lazily, inside a function)
        (
            "pa_cli.store.wrong_way",
            "def f():\n    from pa_cli.agent import service\n    return service\n",
            "pa_cli.store.wrong_way -> pa_cli.agent.service",
        ),
        # two independent siblings: the TUI importing the server
        ("pa_cli.tui.wrong_way", "import pa_cli.server.app\n", "pa_cli.tui.wrong_way -> pa_cli.server.app"),
        # the agent importing a front-end library
        ("pa_cli.agent.wrong_way", "import textual.app\n", "pa_cli.agent.wrong_way -> textual"),
    ],
)
def test_a_wrong_way_import_breaks_a_contract(tmp_path: Path, module: str, source: str, broken: str) -> None:
    result = _lint_imports(_copy_with(tmp_path, module, source))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 kept, 1 broken" in result.stdout
    assert broken in " ".join(result.stdout.split())
