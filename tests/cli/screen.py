"""Helpers for tests that read what `pa` put on a real terminal (tmux) or wrote as raw bytes (`script`)."""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from pa_cli.testing.fake_llm import FakeLLM
from tests.fixtures.tmux import Tmux

#: The words compared between the screen and the answer: unique numbered words, CJK words, an emoji.
WORD = re.compile(r"w\d{3}|[\u3040-\u30ff\u4e00-\u9fff]+|🎉")
LONG_URL = "https://docs.example.com/reference/" + "segment-" * 12 + "end"
END = "w999"


def long_answer() -> str:
    """Several paragraphs, a long list, an ordered list past 9, a code block, a long URL, a table, wide characters."""
    counter = (f"w{i:03d}" for i in itertools.count())

    def words(n: int) -> str:
        return " ".join(next(counter) for _ in range(n))

    cjk = " ".join(f"{next(counter)} 漢字{i} かな 🎉" for i in range(8))
    parts = [
        "# " + words(3),
        words(70),
        words(40) + "\n" + words(35),
        "\n".join(f"- {words(13)}" for _ in range(14)),
        "\n".join(f"{i}. {words(9)}" for i in range(1, 12)),
        "```\n" + "\n".join(words(5) for _ in range(8)) + "\n```",
        f"{words(6)} {LONG_URL} {words(6)}",
        "| a | b | c |\n| --- | --- | --- |\n"
        + "\n".join(f"| {words(1)} | {words(1)} | {words(1)} |" for _ in range(4)),
        cjk,
        words(30) + " " + END,
    ]
    return "\n\n".join(parts)


def words_of(text: str) -> list[str]:
    return WORD.findall(text)


def pa_command(fake_llm: FakeLLM, pa_home: Path, *args: str, extra_env: dict[str, str] | None = None) -> str:
    """A shell command line that runs the real `pa` with a clean environment."""
    env = {
        **fake_llm.env(),
        "PA_HOME": str(pa_home),
        "PA_SECRET_BACKEND": "file",
        "PA_KEYRING_PASSPHRASE": "test-passphrase",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "PATH": os.environ.get("PATH", ""),
        **(extra_env or {}),
    }
    exported = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    quoted = " ".join(shlex.quote(a) for a in args)
    return f"env -i {exported} {shlex.quote(sys.executable)} -m pa_cli {quoted}"


def shell_command(env: dict[str, str], *args: str) -> str:
    """A shell command line that runs the real `pa` with exactly ``env`` (and an 80x24 terminal size)."""
    env = {**env, "COLUMNS": "80", "LINES": "24", "TERM": "xterm-256color"}
    exported = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    quoted = " ".join(shlex.quote(a) for a in args)
    return f"env -i {exported} {shlex.quote(sys.executable)} -m pa_cli {quoted}"


def start(tmux: Tmux, command: str, *, width: int, height: int = 30) -> None:
    """Run ``command`` in a tmux window of the given size; the window stays open afterwards."""
    tmux(
        "new-session",
        "-d",
        "-s",
        "pa",
        "-x",
        str(width),
        "-y",
        str(height),
        f"{command}; echo '[exited]'; sleep 60",
    )


def history(tmux: Tmux) -> str:
    """Everything the pane shows and scrolled past, lines the terminal wrapped joined again."""
    return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "pa")


def raw_output(command: str, *, timeout: float = 120) -> bytes:
    """The exact bytes a command writes to a terminal, recorded by util-linux `script`."""
    done = subprocess.run(
        ["script", "-q", "-e", "-c", command, "/dev/null"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return done.stdout
