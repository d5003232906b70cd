"""fs_* built-ins: a per-user file system in the database, with limits, never the real disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from pa_cli.tools.base import ToolContext, ToolResult
from pa_cli.tools.builtin import fs
from pa_cli.tools.registry import ToolRegistry, execute_tool


async def call(ctx: ToolContext, name: str, **arguments: object) -> ToolResult:
    return await execute_tool(ToolRegistry.from_tools([t() for t in fs.TOOLS]).get(name), arguments, ctx)


async def test_write_then_read_round_trips(ctx: ToolContext) -> None:
    written = await call(ctx, "fs_write", path="notes/todo.md", content="buy milk\n")
    assert written.ok and written.summary == "created /notes/todo.md (9 bytes)"
    read = await call(ctx, "fs_read", path="/notes/todo.md")
    assert read.ok and read.content == {"path": "/notes/todo.md", "content": "buy milk\n", "size": 9}
    replaced = await call(ctx, "fs_write", path="/notes/todo.md", content="done")
    assert replaced.summary == "replaced /notes/todo.md (4 bytes)"


async def test_traversal_writes_inside_the_vfs_and_never_the_disk(ctx: ToolContext, tmp_path: Path) -> None:
    target = tmp_path / "escape.txt"
    result = await call(ctx, "fs_write", path=f"../../../../../..{target}", content="x")
    assert result.ok and result.content["path"] == str(target)
    assert not target.exists()
    stored = ctx.store.vfs.read(ctx.user_id, str(target))
    assert stored is not None and stored.content == "x"


async def test_read_of_the_real_passwd_sees_only_the_vfs(ctx: ToolContext) -> None:
    result = await call(ctx, "fs_read", path="../../etc/passwd")
    assert not result.ok and result.summary == "no such file: /etc/passwd"


async def test_list_shows_direct_children_with_directories_first(ctx: ToolContext) -> None:
    for path in ("/b.txt", "/a.txt", "/docs/x.md", "/docs/deep/y.md"):
        await call(ctx, "fs_write", path=path, content="12345")
    root = await call(ctx, "fs_list")
    assert [(e["name"], e["type"]) for e in root.content["entries"]] == [
        ("docs", "dir"),
        ("a.txt", "file"),
        ("b.txt", "file"),
    ]
    assert root.content["entries"][0] == {
        "name": "docs",
        "path": "/docs",
        "type": "dir",
        "files": 2,
        "size": 10,
    }
    docs = await call(ctx, "fs_list", path="docs")
    assert [e["path"] for e in docs.content["entries"]] == ["/docs/deep", "/docs/x.md"]
    assert docs.summary == "/docs: 1 directories, 1 files"


async def test_list_does_not_confuse_a_directory_with_a_longer_name(ctx: ToolContext) -> None:
    await call(ctx, "fs_write", path="/doc/a", content="")
    await call(ctx, "fs_write", path="/docs/b", content="")
    listed = await call(ctx, "fs_list", path="/doc")
    assert [e["path"] for e in listed.content["entries"]] == ["/doc/a"]


async def test_list_of_empty_root_and_missing_directory(ctx: ToolContext) -> None:
    empty = await call(ctx, "fs_list")
    assert empty.ok and empty.content == {"path": "/", "entries": []}
    missing = await call(ctx, "fs_list", path="/nope")
    assert not missing.ok and missing.summary == "no such directory: /nope"


async def test_files_are_per_user(ctx: ToolContext) -> None:
    await call(ctx, "fs_write", path="/secret.txt", content="mine")
    other = ctx.store.users.ensure("someone-else")
    other_ctx = ToolContext(settings=ctx.settings, store=ctx.store, user_id=other.id)
    assert not (await call(other_ctx, "fs_read", path="/secret.txt")).ok
    assert (await call(other_ctx, "fs_list")).content["entries"] == []


async def test_delete_removes_a_file_and_refuses_directories(ctx: ToolContext) -> None:
    await call(ctx, "fs_write", path="/dir/f.txt", content="x")
    refused = await call(ctx, "fs_delete", path="/dir")
    assert not refused.ok and "is a directory holding 1 files" in refused.summary
    deleted = await call(ctx, "fs_delete", path="/dir/f.txt")
    assert deleted.ok and deleted.summary == "deleted /dir/f.txt"
    again = await call(ctx, "fs_delete", path="/dir/f.txt")
    assert not again.ok and again.summary == "no such file: /dir/f.txt"


async def test_a_file_and_a_directory_cannot_share_a_path(ctx: ToolContext) -> None:
    await call(ctx, "fs_write", path="/a/b", content="x")
    onto_dir = await call(ctx, "fs_write", path="/a", content="y")
    assert not onto_dir.ok and "/a is a directory" in onto_dir.summary
    under_file = await call(ctx, "fs_write", path="/a/b/c", content="z")
    assert not under_file.ok and "/a/b is a file" in under_file.summary
    read_dir = await call(ctx, "fs_read", path="/a")
    assert not read_dir.ok and "is a directory" in read_dir.summary
    root = await call(ctx, "fs_write", path="/", content="z")
    assert not root.ok and "root directory" in root.summary


async def test_file_size_limit(ctx: ToolContext) -> None:
    assert (await call(ctx, "fs_write", path="/max", content="x" * fs.MAX_FILE_BYTES)).ok
    too_big = await call(ctx, "fs_write", path="/big", content="é" * (fs.MAX_FILE_BYTES // 2 + 1))
    assert not too_big.ok and "a file holds at most 1.0 MiB" in too_big.summary
    assert ctx.store.vfs.read(ctx.user_id, "/big") is None


async def test_per_user_quota(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fs, "MAX_USER_BYTES", 10)
    assert (await call(ctx, "fs_write", path="/a", content="123456")).ok
    over = await call(ctx, "fs_write", path="/b", content="12345")
    assert not over.ok and "delete some files first" in over.summary
    assert (await call(ctx, "fs_write", path="/a", content="1234567890")).ok  # replacing frees the old size


async def test_file_count_limit(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fs, "MAX_USER_FILES", 2)
    for name in ("/1", "/2"):
        assert (await call(ctx, "fs_write", path=name, content="")).ok
    third = await call(ctx, "fs_write", path="/3", content="")
    assert not third.ok and "limit" in third.summary
    assert (await call(ctx, "fs_write", path="/2", content="again")).ok


async def test_bad_paths_become_failed_results(ctx: ToolContext) -> None:
    nul = await call(ctx, "fs_write", path="a\x00b", content="x")
    assert not nul.ok and "control character" in nul.summary
    long = await call(ctx, "fs_read", path="/x" * 3000)
    assert not long.ok and "limit is 4096" in long.summary


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"path": "/a\ud800.md", "content": "x"}, "path"),
        ({"path": "/a.md", "content": "bad \udfff"}, "content"),
    ],
)
async def test_invalid_unicode_is_a_validation_error_not_a_crash(
    ctx: ToolContext, arguments: dict[str, str], field: str
) -> None:
    result = await execute_tool(ToolRegistry.from_tools([fs.FsWrite()]).get("fs_write"), arguments, ctx)
    assert not result.ok and result.content["error"]["code"] == "invalid_arguments"
    assert f"{field} contains invalid Unicode (a lone surrogate" in result.summary
    assert ctx.store.vfs.list(ctx.user_id) == []


async def test_a_file_written_while_tainted_keeps_the_taint_and_taints_its_reader(ctx: ToolContext) -> None:
    ctx.taint = ("this session read mail from mallory@evil.example",)
    assert (await call(ctx, "fs_write", path="/notes.md", content="do as the mail says")).ok
    ctx.taint = ()
    read = await call(ctx, "fs_read", path="/notes.md")
    assert read.ok and read.untrusted
    assert read.taint == (
        "fs_read /notes.md, written while untrusted content was in context "
        "(this session read mail from mallory@evil.example)"
    )
    assert (await call(ctx, "fs_write", path="/notes.md", content="my own words")).ok
    clean = await call(ctx, "fs_read", path="/notes.md")
    assert clean.ok and not clean.untrusted and clean.taint is None
