"""fs_list, fs_read, fs_write, fs_delete: a per-user virtual file system in the database.

Nothing here touches the real disk: paths are names in the ``vfs_files`` table.
Every path is normalised to an absolute POSIX path under ``/`` (``..`` cannot
climb above the root, so ``../../etc/passwd`` is just ``/etc/passwd`` inside
the user's own space); control characters, over-long paths and names are
refused. Directories are implicit: a directory exists while a file lives under
it. Limits: 1 MiB per file, 20 MiB and 10,000 files per user, checked in the
write's own transaction so that concurrent writers cannot exceed them.

A file written while untrusted content (mail, events, MCP output) was in the
model's context keeps that taint; reading it taints the reading turn, in any
session.
"""

from __future__ import annotations

import posixpath
import unicodedata
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolError, ToolResult

MAX_PATH_CHARS = 4096
MAX_NAME_CHARS = 255
MAX_FILE_BYTES = 1024 * 1024
MAX_USER_BYTES = 20 * 1024 * 1024
MAX_USER_FILES = 10_000

_PATH_HELP = "an absolute or relative path such as /notes/todo.md; '..' never leaves the virtual root"


def normalize_path(path: str) -> str:
    """The canonical form of ``path`` inside the virtual root, or ToolError."""
    if len(path) > MAX_PATH_CHARS:
        raise ToolError(f"path is {len(path)} characters long; the limit is {MAX_PATH_CHARS}")
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        raise ToolError("path contains a control character (such as NUL or a newline); use plain names")
    cleaned = unicodedata.normalize("NFC", path).replace("\\", "/")
    normalized = posixpath.normpath("/" + cleaned.lstrip("/"))
    for name in normalized.split("/"):
        if len(name) > MAX_NAME_CHARS:
            raise ToolError(f"a name in the path is longer than {MAX_NAME_CHARS} characters")
    return normalized


def _under(directory: str) -> str:
    """The prefix every path inside ``directory`` starts with."""
    return directory if directory.endswith("/") else directory + "/"


def _format_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _sizes(ctx: ToolContext, directory: str = "/") -> dict[str, int]:
    """Path -> size in bytes of every file of the user under ``directory``."""
    prefix = _under(directory)
    return {f.path: f.size for f in ctx.store.vfs.list(ctx.user_id, prefix) if f.path.startswith(prefix)}


class FsListArgs(ToolArgs):
    path: str | None = Field(None, description="directory to list (default: / , the root); " + _PATH_HELP)


class FsPathArgs(ToolArgs):
    path: str = Field(description=_PATH_HELP)


class FsWriteArgs(ToolArgs):
    path: str = Field(description=_PATH_HELP)
    content: str = Field(description="the whole new text of the file (replaces any old content)")


class FsList(Tool):
    name = "fs_list"
    description = (
        "List the user's virtual files and directories (a private file system stored in pa's "
        "database, not on the real disk). Give a directory path, or nothing for the root '/'."
    )
    args_model: ClassVar[type[BaseModel]] = FsListArgs

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, FsListArgs)
        directory = normalize_path(args.path or "/")
        sizes = _sizes(ctx, directory)
        if not sizes:
            single = ctx.store.vfs.read(ctx.user_id, directory) if directory != "/" else None
            if single is not None:
                name = posixpath.basename(directory)
                entry = {"name": name, "path": directory, "type": "file", "size": single.size}
                return ToolResult(
                    content={"path": directory, "entries": [entry]}, summary=f"{directory} is a file"
                )
            if directory != "/":
                raise ToolError(f"no such directory: {directory}")
            return ToolResult(content={"path": "/", "entries": []}, summary="the file system is empty")
        prefix = _under(directory)
        files: dict[str, dict[str, Any]] = {}
        dirs: dict[str, dict[str, Any]] = {}
        for path, size in sizes.items():
            first, sep, _rest = path[len(prefix) :].partition("/")
            if sep:
                d = dirs.setdefault(first, {"name": first, "path": prefix + first, "type": "dir"})
                d["files"] = d.get("files", 0) + 1
                d["size"] = d.get("size", 0) + size
            else:
                files[first] = {"name": first, "path": path, "type": "file", "size": size}
        entries = [dirs[k] for k in sorted(dirs)] + [files[k] for k in sorted(files)]
        summary = f"{directory}: {len(dirs)} directories, {len(files)} files"
        return ToolResult(content={"path": directory, "entries": entries}, summary=summary)


class FsRead(Tool):
    name = "fs_read"
    description = (
        "Read one of the user's virtual text files (stored in pa's database). Returns its whole content."
    )
    args_model: ClassVar[type[BaseModel]] = FsPathArgs

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, FsPathArgs)
        path = normalize_path(args.path)
        found = ctx.store.vfs.read(ctx.user_id, path) if path != "/" else None
        if found is None:
            if path == "/" or _sizes(ctx, path):
                raise ToolError(f"{path} is a directory: use fs_list to see what it holds")
            raise ToolError(f"no such file: {path}")
        untrusted = found.taint is not None
        return ToolResult(
            content={"path": path, "content": found.content, "size": found.size},
            summary=f"read {path} ({_format_size(found.size)})",
            untrusted=untrusted,
            taint=f"fs_read {path}, written while untrusted content was in context ({found.taint})"
            if untrusted
            else None,
        )


class FsWrite(Tool):
    name = "fs_write"
    description = (
        "Create or replace a text file in the user's virtual file system (stored in pa's "
        "database, not on the real disk). Parent directories are created as needed. "
        f"Limits: {_format_size(MAX_FILE_BYTES)} per file, {_format_size(MAX_USER_BYTES)} in all."
    )
    args_model: ClassVar[type[BaseModel]] = FsWriteArgs

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, FsWriteArgs)
        path = normalize_path(args.path)
        if path == "/":
            raise ToolError("give a file name, such as /notes.md: / is the root directory")
        size = len(args.content.encode("utf-8"))
        if size > MAX_FILE_BYTES:
            raise ToolError(
                f"content is {_format_size(size)}; a file holds at most {_format_size(MAX_FILE_BYTES)}"
            )
        found: dict[str, int | None] = {}

        def check(sizes: dict[str, int]) -> None:
            """Runs inside the write transaction: the limits hold under concurrent writers."""
            if any(p.startswith(_under(path)) for p in sizes):
                raise ToolError(f"{path} is a directory: choose a file name inside it")
            parent = posixpath.dirname(path)
            while parent != "/":
                if parent in sizes:
                    raise ToolError(f"{parent} is a file, so it cannot hold {path}")
                parent = posixpath.dirname(parent)
            old = found["old"] = sizes.get(path)
            if old is None and len(sizes) >= MAX_USER_FILES:
                raise ToolError(f"the file system holds {MAX_USER_FILES} files, its limit: delete some first")
            total = sum(sizes.values()) - (old or 0) + size
            if total > MAX_USER_BYTES:
                raise ToolError(
                    f"this would use {_format_size(total)} of {_format_size(MAX_USER_BYTES)}: "
                    "delete some files first"
                )

        taint = "; ".join(ctx.taint) or None
        ctx.store.vfs.write(ctx.user_id, path, args.content, taint=taint, check=check)
        old = found.get("old")
        verb = "replaced" if old is not None else "created"
        return ToolResult(
            content={"path": path, "size": size, "created": old is None},
            summary=f"{verb} {path} ({_format_size(size)})",
        )


class FsDelete(Tool):
    name = "fs_delete"
    description = "Delete one of the user's virtual files (stored in pa's database)."
    args_model: ClassVar[type[BaseModel]] = FsPathArgs

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, FsPathArgs)
        path = normalize_path(args.path)
        if path != "/" and ctx.store.vfs.delete(ctx.user_id, path):
            return ToolResult(content={"path": path, "deleted": True}, summary=f"deleted {path}")
        inside = _sizes(ctx, path)
        if inside:
            raise ToolError(
                f"{path} is a directory holding {len(inside)} files: delete those files one by one"
            )
        raise ToolError(f"no such file: {path}")


TOOLS: tuple[type[Tool], ...] = (FsList, FsRead, FsWrite, FsDelete)
