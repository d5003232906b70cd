"""Virtual file system paths: normalised, rooted, never the real disk."""

from __future__ import annotations

import pytest

from pa_cli.tools.base import ToolError
from pa_cli.tools.builtin.fs import MAX_NAME_CHARS, MAX_PATH_CHARS, normalize_path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("notes.md", "/notes.md"),
        ("/notes.md", "/notes.md"),
        ("notes/todo.md", "/notes/todo.md"),
        ("/notes//todo.md", "/notes/todo.md"),
        ("/notes/./todo.md", "/notes/todo.md"),
        ("/notes/todo.md/", "/notes/todo.md"),
        ("", "/"),
        ("/", "/"),
        (".", "/"),
    ],
)
def test_paths_are_normalised_to_absolute_posix_paths(raw: str, expected: str) -> None:
    assert normalize_path(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "/etc/passwd"),
        ("/../../../etc/passwd", "/etc/passwd"),
        ("notes/../../../../root/.ssh/id_rsa", "/root/.ssh/id_rsa"),
        ("//etc/passwd", "/etc/passwd"),
        ("///x", "/x"),
        ("..", "/"),
        ("a/b/../../..", "/"),
        ("..\\..\\windows\\system32", "/windows/system32"),
    ],
)
def test_traversal_stays_inside_the_virtual_root(raw: str, expected: str) -> None:
    assert normalize_path(raw) == expected


@pytest.mark.parametrize("raw", ["a\x00b", "/notes\n.md", "tab\there", "bell\x07", "del\x7f", "c1\x85"])
def test_control_characters_are_rejected(raw: str) -> None:
    with pytest.raises(ToolError, match="control character"):
        normalize_path(raw)


def test_overlong_path_is_rejected() -> None:
    with pytest.raises(ToolError, match=str(MAX_PATH_CHARS)):
        normalize_path("/a" * (MAX_PATH_CHARS // 2 + 1))


def test_overlong_name_is_rejected() -> None:
    with pytest.raises(ToolError, match="longer than"):
        normalize_path("/" + "n" * (MAX_NAME_CHARS + 1))
    assert normalize_path("/" + "n" * MAX_NAME_CHARS) == "/" + "n" * MAX_NAME_CHARS


def test_unicode_names_are_composed_so_lookalikes_match() -> None:
    assert normalize_path("cafe\u0301.md") == normalize_path("caf\u00e9.md") == "/caf\u00e9.md"
