"""`pa memory ...` as a person meets it: one-line errors with the contract's exit codes, JSON on request."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import PaRunner


def test_unknown_ids_and_empty_facts_are_usage_errors(pa: PaRunner) -> None:
    added = pa("memory", "add", "My manager is Sam")
    assert added.returncode == 0, added.stderr
    unknown = pa("memory", "forget", "ffffffffffff")
    assert unknown.returncode == 2
    assert unknown.stderr == "error: no memory 'ffffffffffff' (see `pa memory list`)\n"
    empty = pa("memory", "edit", added.stdout.split()[0][:5], "   ")
    assert (empty.returncode, empty.stderr) == (2, "error: the fact is empty\n")


def test_import_of_a_missing_or_broken_file_says_why(pa: PaRunner, tmp_path: Path) -> None:
    missing = pa("memory", "import", str(tmp_path / "nope.md"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: cannot read ") and "No such file" in missing.stderr
    broken = pa("memory", "import", "-", input="- tea <!-- pa {oops} -->\n")
    assert (broken.returncode, broken.stderr) == (2, "error: line 1: the pa comment is not valid JSON\n")


def test_search_json_gives_objects_with_id_and_text(pa: PaRunner) -> None:
    added = pa("memory", "add", "My manager is Sam")
    memory_id = added.stdout.split()[0]
    found = pa("memory", "search", "--json", "manager")
    assert [(m["id"], m["text"]) for m in json.loads(found.stdout)] == [(memory_id, "My manager is Sam")]
    nothing = pa("memory", "search", "--json", "zebra")
    assert nothing.returncode == 0 and json.loads(nothing.stdout) == []
