"""The mutation runner's own rules: which mutants it skips as equivalent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.mutation.run import _baseline, _inside, annotation_spans, load_equivalents

SOURCE = """from __future__ import annotations

from pydantic import BaseModel


class Row(BaseModel):
    name: str | None = None


def find(key: str | None) -> int | None:
    limit: int | None = None
    return 1 if key is None else limit
"""


def test_annotations_no_library_reads_are_skipped_and_model_fields_are_not() -> None:
    spans = annotation_spans(SOURCE, "pa_cli/store/example.py")
    # Positions of the `|` a mutant replaces (line, column from 0), as cosmic-ray reports them.
    assert not _inside(spans, (7, 14))  # `str | None` of a pydantic field: pydantic reads it
    assert _inside(spans, (10, 18))  # the parameter's annotation
    assert _inside(spans, (10, 33))  # the return annotation
    assert _inside(spans, (11, 15))  # a local variable's annotation
    assert not _inside(spans, (12, 22))  # code: the `is` of `key is None`


def test_signatures_under_server_and_cli_are_mutated_too() -> None:
    """FastAPI and Typer read function annotations at run time."""
    spans = annotation_spans(SOURCE, "pa_cli/server/example.py")
    assert not _inside(spans, (10, 18))
    assert _inside(spans, (11, 15))


def test_without_future_annotations_nothing_is_skipped() -> None:
    assert annotation_spans(SOURCE.replace("from __future__ import annotations\n", ""), "pa_cli/x.py") == []


def test_equivalent_rows_keep_escaped_pipes(tmp_path: Path) -> None:
    table = tmp_path / "equivalent.md"
    table.write_text(
        "| module | operator | line | reason |\n| --- | --- | --- | --- |\n"
        "| pa_cli/a.py | core/X_* | `x = a \\| b` | because |\n",
        encoding="utf-8",
    )
    (row,) = load_equivalents(table)
    assert (row.module, row.operator, row.line_text, row.reason) == (
        "pa_cli/a.py",
        "core/X_*",
        "x = a | b",
        "because",
    )


def test_a_first_test_file_failing_on_unmutated_code_stops_the_run(tmp_path: Path) -> None:
    """Else every mutant would count as killed by a test that fails anyway (a plugin left out)."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    (tmp_path / "test_passes.py").write_text("def test_one():\n    assert 1 + 1 == 2\n", encoding="utf-8")
    (tmp_path / "test_fails.py").write_text("def test_one():\n    assert 1 + 1 == 3\n", encoding="utf-8")
    _baseline("pa_cli/a.py", "test_passes.py", tmp_path, env)
    with pytest.raises(SystemExit, match=r"^error: test_fails.py fails on the unmutated pa_cli/a.py with"):
        _baseline("pa_cli/a.py", "test_fails.py", tmp_path, env)
