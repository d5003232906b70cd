"""Which database the routine notice reads: PA_DATABASE_URL, else the config file's, else the default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pa_cli.paths import app_paths
from pa_cli.routines.notice import _database_file


def _config(text: str) -> None:
    path = app_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_config_files_database_is_read(tmp_path: Path) -> None:
    _config(f'[user]\nname = "Ann"\n\n[database]\nurl = "sqlite:///{tmp_path}/other.db"\n')
    assert _database_file() == tmp_path / "other.db"
    _config(f'database.url = "sqlite:///{tmp_path}/dotted.db"\n')
    assert _database_file() == tmp_path / "dotted.db"
    _config('[database]\nurl = "postgresql://u@localhost/pa"\n')
    assert _database_file() is None  # another server: the notice says nothing


def test_the_environment_wins_over_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _config(f'[database]\nurl = "sqlite:///{tmp_path}/other.db"\n')
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    assert _database_file() == tmp_path / "env.db"


@pytest.mark.parametrize(
    "text",
    [None, '[user]\nname = "Ann"\n', "[database\nurl = ", "[database]\nurl = 3\n", "\xff database"],
    ids=["no-file", "no-database", "not-toml", "not-a-string", "not-utf8"],
)
def test_otherwise_the_default_file(text: str | None) -> None:
    if text == "\xff database":
        app_paths().config_file.parent.mkdir(parents=True, exist_ok=True)
        app_paths().config_file.write_bytes(b"\xff database")
    elif text is not None:
        _config(text)
    assert _database_file() == app_paths().database_file


def test_a_config_file_without_a_database_is_not_parsed(tmp_path: Path) -> None:
    """tomllib (its regular expressions) is not imported before `pa chat`'s first frame for nothing."""
    _config('[user]\nname = "Ann"\n')
    code = (
        "import sys\n"
        "from pa_cli.routines.notice import _database_file\n"
        "_database_file()\n"
        "print('tomllib' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
