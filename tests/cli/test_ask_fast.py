"""`pa ask` without Typer (pa_cli.cli.ask_fast) says and does what its Typer command does.

Each case runs the real command twice, ``python -m pa_cli ask ...`` (plain forms skip Typer) and
``python -c "from pa_cli.cli.app import run; run()" ask ...`` (Typer only), against the same fake
model, and compares exit code, stdout and stderr (session ids aside). Forms that are not plain go to
Typer, so they are Typer's by construction; the parser's cases say which those are.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pa_cli.cli.ask_fast import AskArgs, parse
from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner

TYPER_ONLY = ("-c", "from pa_cli.cli.app import run; run()")
#: Records whether Typer (which vendors Click) was imported at all.
TYPER_PROBE = (
    "import atexit, runpy, sys\n"
    "loaded = lambda: ','.join(m for m in ('typer',) if m in sys.modules)\n"
    "atexit.register(lambda: print('LOADED=' + loaded(), file=sys.stderr))  # pa exits through os._exit\n"
    "sys.argv = ['pa', *sys.argv[1:]]\n"
    "runpy.run_module('pa_cli', run_name='__main__', alter_sys=True)\n"
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ask", "hi there"], AskArgs("hi there")),
        (["ask", "--json", "hi"], AskArgs("hi", as_json=True)),
        (["ask", "hi", "-y", "--no-stream"], AskArgs("hi", yes=True, stream=False)),
        (["ask", "--yes", "--json", "--json"], AskArgs("", as_json=True, yes=True)),
        (["ask"], AskArgs("")),
        (["ask", ""], AskArgs("")),
    ],
)
def test_the_plain_forms_are_read_without_typer(args: list[str], expected: AskArgs) -> None:
    assert parse(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["chat"],
        ["--debug", "ask", "hi"],
        ["ask", "-c", "hi"],
        ["ask", "--continue", "hi"],
        ["ask", "--session", "ab12", "hi"],
        ["ask", "-s", "ab12", "hi"],
        ["ask", "--help"],
        ["ask", "-h"],
        ["ask", "one", "two"],
        ["ask", "--", "-5 degrees?"],
        ["ask", "-yc", "hi"],
        ["ask", "--jsn", "hi"],
    ],
)
def test_everything_else_is_left_to_typer(args: list[str]) -> None:
    assert parse(args) is None


def _both(
    pa: PaRunner, llm: FakeLLM | None, reply: str | None, *args: str, stdin: str | None = None
) -> list[subprocess.CompletedProcess[str]]:
    results = []
    for how in (("-m", "pa_cli"), TYPER_ONLY):
        if llm is not None and reply is not None:
            llm.reply_text(reply)
        results.append(
            subprocess.run(
                [sys.executable, *how, "ask", *args],
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
                env=pa.env(),
                check=False,
            )
        )
    return results


def _same(fast: subprocess.CompletedProcess[str], typer: subprocess.CompletedProcess[str]) -> None:
    assert fast.returncode == typer.returncode, (fast.stderr, typer.stderr)
    assert fast.stderr == typer.stderr
    assert fast.stdout == typer.stdout


@pytest.fixture
def llm(fake_llm: FakeLLM, pa: PaRunner) -> FakeLLM:
    pa.extra_env.update(fake_llm.env("openai-generic"))
    return fake_llm


def test_an_answer_is_the_same_on_both_paths(llm: FakeLLM, pa: PaRunner) -> None:
    _same(*_both(pa, llm, thinking("Canberra."), "capital of Australia?"))
    _same(*_both(pa, llm, thinking("Canberra."), "--no-stream", "capital of Australia?"))


def test_json_output_is_the_same_on_both_paths(llm: FakeLLM, pa: PaRunner) -> None:
    fast, typer = _both(pa, llm, thinking("Canberra."), "--json", "capital?")
    assert fast.returncode == typer.returncode == 0
    a, b = json.loads(fast.stdout), json.loads(typer.stdout)
    assert a.pop("session_id") != b.pop("session_id")
    assert a == b


def test_waiting_for_approval_is_the_same_on_both_paths(llm: FakeLLM, pa: PaRunner) -> None:
    reply = thinking(None, ("system_prompt_update", {"text": "Answer in haiku."}))
    fast, typer = _both(pa, llm, reply, "--json", "change your prompt")
    assert fast.returncode == typer.returncode == 4
    assert fast.stderr.replace(json.loads(fast.stdout)["pending_approvals"][0], "ID") == typer.stderr.replace(
        json.loads(typer.stdout)["pending_approvals"][0], "ID"
    )


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        ((), None),  # nothing to ask: a usage error
        (("",), None),
        (("   ",), None),
    ],
)
def test_usage_errors_are_the_same_on_both_paths(
    pa: PaRunner, args: tuple[str, ...], stdin: str | None
) -> None:
    fast, typer = _both(pa, None, None, *args, stdin=stdin)
    _same(fast, typer)
    assert fast.returncode == 2 and fast.stderr.startswith("error: ")


def test_a_missing_key_is_the_same_on_both_paths(pa: PaRunner, tmp_path: Path) -> None:
    pa.extra_env.update(
        {"PA_LLM_PROVIDER": "gemini", "PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "p"}
    )
    fast, typer = _both(pa, None, None, "hello")
    _same(fast, typer)
    assert fast.returncode == 3 and "no API key" in fast.stderr


def test_piped_text_is_the_same_on_both_paths(llm: FakeLLM, pa: PaRunner) -> None:
    fast, typer = _both(pa, llm, thinking("Two lines."), "summarise", stdin="line one\nline two\n")
    _same(fast, typer)
    assert "line one" in llm.requests[0].prompt_text and "line one" in llm.requests[1].prompt_text


def _typer_probed(pa: PaRunner, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", TYPER_PROBE, "ask", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=pa.env(),
        check=False,
    )


def test_the_plain_form_never_imports_typer(llm: FakeLLM, pa: PaRunner) -> None:
    llm.reply_text(thinking("pong"))
    done = _typer_probed(pa, "ping")
    assert done.returncode == 0 and done.stdout == "pong\n", done.stderr
    assert "LOADED=\n" in done.stderr
    llm.reply_text(thinking("pong"))
    done = _typer_probed(pa, "-c", "ping")
    assert done.returncode == 0 and "LOADED=typer" in done.stderr, "-c is Typer's"
