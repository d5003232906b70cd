"""`pa chat` without Typer (pa_cli.cli.chat_fast) says and does what its Typer command does.

Each case runs the real command twice: ``python -m pa_cli ...`` (which takes `pa chat`'s plain forms
past Typer) and ``python -c "from pa_cli.cli.app import run; run()" ...`` (Typer only), and compares
exit code, stdout and stderr. Cases that need a terminal run under script(1), so that stdin, stdout
and stderr are one; the raw bytes are compared. What the screen then shows is in tests/tui.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest

from pa_cli import __version__
from pa_cli.cli.chat_fast import ChatArgs, parse
from pa_cli.paths import app_paths
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner
from tests.fixtures.tmux import TYPER_ONLY

FAST = ("-m", "pa_cli")
#: Records whether Typer (and pydantic, which Typer's parameter coercion imports) were ever imported.
TYPER_PROBE = (
    "import atexit, runpy, sys\n"
    "loaded = lambda: ','.join(m for m in ('typer', 'click', 'pydantic') if m in sys.modules)\n"
    "atexit.register(lambda: print('LOADED=' + loaded(), file=sys.stderr))  # pa exits through os._exit\n"
    "runpy.run_module('pa_cli', run_name='__main__', alter_sys=True)\n"
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["chat"], ChatArgs(session=None, debug=False)),
        (["chat", "-s", "ab12"], ChatArgs(session="ab12", debug=False)),
        (["chat", "-sab12"], ChatArgs(session="ab12", debug=False)),
        (["chat", "--session", "ab12"], ChatArgs(session="ab12", debug=False)),
        (["chat", "--session=ab12"], ChatArgs(session="ab12", debug=False)),
        (["chat", "--session=a=b"], ChatArgs(session="a=b", debug=False)),
        (["--debug", "chat"], ChatArgs(session=None, debug=True)),
        (["--debug", "--debug", "chat", "-s", "chat"], ChatArgs(session="chat", debug=True)),
    ],
)
def test_the_plain_forms_are_read_without_typer(args: list[str], expected: ChatArgs) -> None:
    assert parse(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["ask", "chat"],
        ["--version", "chat"],
        ["chat", "--help"],
        ["chat", "-h"],
        ["--help", "chat"],
        ["chat", "--debug"],
        ["chat", "extra"],
        ["chat", "-s"],
        ["chat", "--session"],
        ["chat", "--session="],
        ["chat", "-s", ""],
        ["chat", "-s", "-x"],
        ["chat", "-s", "--help"],
        ["chat", "-s=ab12"],
        ["chat", "-s", "a", "-s", "b"],
        ["chat", "--sess", "ab12"],
        ["chat", "--", "-s"],
        ["chat", "-x"],
        ["chats"],
    ],
)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert parse(args) is None


def _run(pa: PaRunner, launcher: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *launcher, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=pa.env(),
        check=False,
    )


def _on_a_tty(pa: PaRunner, launcher: tuple[str, ...], *args: str, stdin: str = "") -> tuple[int, str]:
    """Run under script(1): the raw bytes of the terminal and the exit code (``stdin``: a redirection)."""
    command = shlex.join([sys.executable, *launcher, *args]) + stdin
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=pa.env(),
        check=False,
    )
    return done.returncode, done.stdout


def _same(fast: subprocess.CompletedProcess[str], typer: subprocess.CompletedProcess[str]) -> None:
    assert (fast.returncode, fast.stdout, fast.stderr) == (typer.returncode, typer.stdout, typer.stderr)


def _without_frames(said: str) -> str:
    """A --debug traceback's frames differ by path (Click's frames or not); the rest must not."""
    return "\n".join(line for line in said.splitlines() if not line.startswith("  "))


@pytest.mark.parametrize(
    "args",
    [
        ["chat"],
        ["chat", "-s", "ab12"],
        ["chat", "-sab12"],
        ["chat", "--session", "ab12"],
        ["chat", "--session=ab12"],
        ["--debug", "chat"],
    ],
)
def test_each_plain_form_without_a_terminal_fails_alike_and_skips_typer(
    pa: PaRunner, args: list[str]
) -> None:
    fast = subprocess.run(
        [sys.executable, "-c", TYPER_PROBE, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=pa.env(),
        check=False,
    )
    loaded = fast.stderr.splitlines()[-1]
    assert loaded == "LOADED=", f"the plain form {args} imported {loaded}"
    said = "\n".join(fast.stderr.splitlines()[:-1]) + "\n"
    typer = _run(pa, TYPER_ONLY, *args)
    assert (fast.returncode, fast.stdout) == (typer.returncode, typer.stdout) == (2, "")
    assert _without_frames(said) == _without_frames(typer.stderr)
    error = "error: `pa chat` needs a terminal; use `pa ask` in scripts and pipes\n"
    if "--debug" in args:  # the traceback first, then the same line
        assert said.startswith("Traceback (most recent call last):\n") and said.endswith(error)
        assert "pa_cli.errors.UsageError: `pa chat` needs a terminal" in said
    else:
        assert said == error


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["chat", "--help"], "--session"),
        (["chat", "-h"], "Resume this session"),
        (["chat", "--bogus"], "No such option: --bogus"),
        (["chat", "--debug"], "No such option: --debug"),
        (["chat", "-s"], "Option '-s' requires an argument."),
        (["chat", "--session"], "Option '--session' requires an argument."),
        (["chat", "extra"], "Got unexpected extra argument(s) (extra)"),
        (["--version", "chat"], f"pa {__version__}"),
    ],
)
def test_help_and_bad_options_still_get_typers_answer(pa: PaRunner, args: list[str], says: str) -> None:
    fast = _run(pa, FAST, *args)
    _same(fast, _run(pa, TYPER_ONLY, *args))
    assert says in fast.stdout + fast.stderr
    if args[-1] in ("--help", "-h") or args[0] == "--version":
        assert fast.returncode == 0
    else:
        assert fast.returncode == 2 and fast.stdout == ""


@pytest.mark.parametrize("option", [["-s", "nosuch"], ["--session=nosuch"], ["--debug", "-s", "nosuch"]])
def test_an_unknown_session_is_the_same_usage_error_on_a_terminal(pa: PaRunner, option: list[str]) -> None:
    args = ["chat", *option] if option[0] != "--debug" else ["--debug", "chat", *option[1:]]
    fast = _on_a_tty(pa, FAST, *args)
    typer = _on_a_tty(pa, TYPER_ONLY, *args)
    assert fast[0] == typer[0] and _without_frames(fast[1]) == _without_frames(typer[1])
    code, screen = fast
    assert code == 2
    assert "error: no session 'nosuch' (" in screen
    assert "Traceback" in screen if "--debug" in args else "Traceback" not in screen


def test_the_routine_notice_comes_first_on_both_paths(pa: PaRunner, fake_llm: FakeLLM) -> None:
    """`app.run` prints the unread-results line before any command on a TTY; so does the fast path."""
    pa.extra_env.update(fake_llm.env("openai-generic"))
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    assert pa("config", "set", "user.timezone", "Europe/Berlin").returncode == 0
    added = pa(
        "routine", "add", "Morning briefing", "--at", "weekdays 08:00", "Brief me", "--json",
        env={"PA_TEST_NOW": "2026-12-01T06:00:00+00:00"},
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["name"] == "Morning briefing"
    fake_llm.reply_text(thinking("Your landlord wrote about the rent."))  # no report: it needs you
    ran = pa("routine", "run-due", env={"PA_TEST_NOW": "2026-12-01T07:00:10+00:00"})
    assert ran.returncode == 0, ran.stderr

    fast = _on_a_tty(pa, FAST, "chat", stdin=" < /dev/null")  # stdout and stderr a terminal, stdin not
    assert fast == _on_a_tty(pa, TYPER_ONLY, "chat", stdin=" < /dev/null")
    code, screen = fast
    assert code == 2
    line = "pa: 1 routine result needs you (Morning briefing): `pa routine show NAME`"
    assert (
        screen.replace("\r\n", "\n")
        == f"{line}\nerror: `pa chat` needs a terminal; use `pa ask` in scripts and pipes\n"
    )


def test_a_pa_error_is_rendered_alike(pa: PaRunner) -> None:
    """An error from opening the service (a config file that cannot be read) on the terminal, both ways."""
    config_file = app_paths().config_file
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text("this is [not toml", encoding="utf-8")
    fast = _on_a_tty(pa, FAST, "chat", "-s", "ab12")
    assert fast == _on_a_tty(pa, TYPER_ONLY, "chat", "-s", "ab12")
    code, screen = fast
    assert code == 2  # a ConfigError is a usage error
    assert "error: " in screen and "not valid TOML" in screen and "Traceback" not in screen


def test_the_collector_resumes_as_the_service_opens() -> None:
    """`pa chat` pauses the garbage collector for its first frame; the opening, after it, resumes it."""
    import gc

    from pa_cli.cli.chat_run import _open_service

    gc.disable()
    try:
        service = _open_service(resume_collector=True)
        assert gc.isenabled()
        service.store.close()
        gc.disable()
        service = _open_service(resume_collector=False)  # it was off before pa chat: left off
        assert not gc.isenabled()
        service.store.close()
    finally:
        gc.enable()
