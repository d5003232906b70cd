"""`pa --help` and `pa config show` stay light: none of the heavy libraries is imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("textual", "baml_py", "baml_client", "googleapiclient", "google_auth_oauthlib", "fastapi", "uvicorn")

PROBE = """
import json, sys
sys.argv = ["pa", *json.loads(sys.argv[1])]
from pa_cli.cli.app import run
try:
    run()
except SystemExit:
    pass
sys.stdout.flush()
sys.stderr.write("MODULES=" + json.dumps(sorted(sys.modules)) + "\\n")
"""


def _modules_loaded_by(args: list[str]) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = next(line for line in proc.stderr.splitlines() if line.startswith("MODULES="))
    return json.loads(line.removeprefix("MODULES="))


@pytest.mark.parametrize("args", [["--help"], ["config", "show"], ["tools", "--help"], ["ask", "--help"]])
def test_light_commands_import_no_heavy_library(args: list[str]) -> None:
    loaded = _modules_loaded_by(args)
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith("pa_cli.baml_client")]
    assert heavy == [], f"pa {' '.join(args)} imported {heavy[:5]}"


def test_help_lists_every_command_group() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pa_cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in (
        "ask",
        "chat",
        "tools",
        "approve",
        "deny",
        "approvals",
        "history",
        "config",
        "serve",
        "doctor",
    ):
        assert f"  {command}" in proc.stdout


def test_version_flag_prints_the_version() -> None:
    from pa_cli import __version__

    proc = subprocess.run(
        [sys.executable, "-m", "pa_cli", "--version"], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == f"pa {__version__}"


def test_no_color_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    from pa_cli.cli import runtime

    monkeypatch.setenv("NO_COLOR", "1")
    runtime.out.cache_clear()
    assert runtime.out().no_color
    monkeypatch.delenv("NO_COLOR")
    runtime.out.cache_clear()
    assert not runtime.out().no_color
    runtime.out.cache_clear()
