"""The committed pa_cli/baml_client is exactly what `baml-cli generate` makes from baml_src/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "pa_cli" / "baml_client"

_GENERATE = (
    "import sys; from baml_py import invoke_runtime_cli; "
    "sys.argv = ['baml-cli', 'generate', '--from', 'baml_src']; sys.exit(invoke_runtime_cli())"
)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_generated_client_matches_baml_src(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "baml_src", tmp_path / "baml_src")
    (tmp_path / "pa_cli").mkdir()

    subprocess.run(
        [sys.executable, "-c", _GENERATE],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )

    fresh = _files(tmp_path / "pa_cli" / "baml_client")
    committed = _files(GENERATED)
    assert fresh, "baml-cli generate produced nothing"
    stale = sorted(name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name))
    assert not stale, (
        f"pa_cli/baml_client is stale ({', '.join(stale)}): run `uv run baml-cli generate --from baml_src`"
    )


def test_generator_pins_the_installed_baml_version() -> None:
    from importlib.metadata import version

    generators = (ROOT / "baml_src" / "generators.baml").read_text(encoding="utf-8")

    assert f'version "{version("baml-py")}"' in generators
    assert 'output_dir "../pa_cli"' in generators
    assert "default_client_mode async" in generators
