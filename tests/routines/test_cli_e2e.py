"""`pa routine ...` end to end: the real command in subprocesses, the scripted LLM, a real SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.conftest import PaRunner

ADDED = "2026-12-01T06:00:00+00:00"
DUE = "2026-12-01T07:00:10+00:00"  # 08:00:10 in Berlin


@pytest.fixture
def rpa(pa: PaRunner, fake_llm: FakeLLM) -> PaRunner:
    pa.extra_env.update(fake_llm.env("openai-generic"))
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    done = pa("config", "set", "user.timezone", "Europe/Berlin")
    assert done.returncode == 0, done.stderr
    return pa


def add(pa: PaRunner, *extra: str) -> dict[str, object]:
    done = pa(
        "routine", "add", "Morning briefing", "--at", "weekdays 08:00", "Brief me", "--json", *extra,
        env={"PA_TEST_NOW": ADDED},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_add_list_show_pause_resume_remove(rpa: PaRunner) -> None:
    added = add(rpa, "--also", "unread mail", "--also", "open threads", "--active-hours", "07:00-21:00")
    assert added["cron"] == "0 8 * * 1-5" and added["timezone"] == "Europe/Berlin"
    assert added["next_run_at"] == "2026-12-01T08:00:00+01:00"
    assert added["also"] == ["unread mail", "open threads"] and added["active_hours"] == "07:00-21:00"
    listed = rpa("routine", "list")
    assert "Morning briefing" in listed.stdout and "weekdays 08:00" in listed.stdout
    assert rpa("routine", "pause", "Morning briefing").stdout.strip() == "Morning briefing paused"
    shown = json.loads(rpa("routine", "show", "Morning briefing", "--json").stdout)
    assert shown["paused"] is True and shown["next_run_at"] is None
    assert rpa("routine", "resume", "Morning briefing").returncode == 0
    assert json.loads(rpa("routine", "list", "--json").stdout)[0]["paused"] is False
    assert rpa("routine", "remove", "Morning briefing").returncode == 0
    assert json.loads(rpa("routine", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("add", "x", "--at", "funday 08:00", "y"), "'funday' is not a day"),
        (("add", "x", "--at", "daily 08:00", "y", "--active-hours", "8-20"), "active hours"),
        (("show", "nope"), "no routine named 'nope'"),
        (("run", "nope"), "no routine named 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(rpa: PaRunner, args: tuple[str, ...], says: str) -> None:
    done = rpa("routine", *args)
    assert done.returncode == 2
    assert says in done.stderr and "Traceback" not in done.stderr


def test_a_duplicate_name_is_refused(rpa: PaRunner) -> None:
    add(rpa)
    done = rpa("routine", "add", "Morning briefing", "--at", "daily 09:00", "again")
    assert done.returncode == 2 and "exists already" in done.stderr


def test_run_due_from_two_processes_at_once_runs_the_routine_once(rpa: PaRunner, fake_llm: FakeLLM) -> None:
    add(rpa)
    for _ in range(4):  # enough for two runs, had the claim let both through; slow so that they overlap
        fake_llm.reply_text(thinking("Your day: two meetings."), chunk_size=4, delay_between_chunks_ms=30)
    env = rpa.env(PA_TEST_NOW=DUE)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pa_cli", "routine", "run-due", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    results = [r for out, _ in outputs for r in json.loads(out)]
    assert len(results) == 1
    assert len(fake_llm.requests) == 1
    shown = json.loads(rpa("routine", "show", "Morning briefing", "--json").stdout)
    assert len(shown["runs"]) == 1 and shown["runs"][0]["status"] == "done"
    assert shown["next_run_at"] == "2026-12-02T08:00:00+01:00"


def test_run_now_records_usage_and_show_sums_it_per_week(rpa: PaRunner, fake_llm: FakeLLM) -> None:
    add(rpa)
    fake_llm.reply_text(
        thinking(None, ("routine_report", {"needs_attention": True, "summary": "3 mails need you"}))
    )
    fake_llm.reply_text(thinking("Three mails need you."))
    done = rpa("routine", "run", "Morning briefing")
    assert done.returncode == 0, done.stderr
    assert "3 mails need you" in done.stdout
    shown = rpa("routine", "show", "Morning briefing")
    assert "1 runs  2 LLM calls" in shown.stdout
    history = rpa("history", "list")
    assert "Morning briefing, " in history.stdout


def test_install_timer_writes_a_systemd_user_timer(rpa: PaRunner, tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    done = rpa("routine", "install-timer", env={"XDG_CONFIG_HOME": str(xdg)})
    assert done.returncode == 0, done.stderr
    service = (xdg / "systemd" / "user" / "pa-routines.service").read_text()
    timer = (xdg / "systemd" / "user" / "pa-routines.timer").read_text()
    assert "routine run-due" in service and "Type=oneshot" in service
    assert f"Environment=PA_HOME={rpa.env()['PA_HOME']}" in service
    assert "OnCalendar=*-*-* *:*:00" in timer and "Persistent=true" in timer
    assert "systemctl --user" in done.stdout


def test_install_timer_print_gives_a_crontab_line(rpa: PaRunner) -> None:
    done = rpa("routine", "install-timer", "--print")
    assert done.returncode == 0
    line = done.stdout.strip()
    assert line.startswith("* * * * * ") and "routine run-due" in line and "\n" not in line


def _on_a_tty(pa: PaRunner, *args: str) -> str:
    """Run `pa` under script(1): stdin, stdout and stderr are a terminal; the raw bytes come back."""
    import shlex

    command = shlex.join([sys.executable, "-m", "pa_cli", *args])
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        timeout=60,
        env=pa.env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return done.stdout


def test_pa_tells_about_unread_results_once_on_a_tty_until_they_are_read(
    rpa: PaRunner, fake_llm: FakeLLM
) -> None:
    add(rpa)
    fake_llm.reply_text(thinking("Your landlord wrote about the rent."))  # no report: it needs you
    assert rpa("routine", "run-due", env={"PA_TEST_NOW": DUE}).returncode == 0
    line = "pa: 1 routine result needs you (Morning briefing): `pa routine show NAME`"
    on_tty = _on_a_tty(rpa, "routine", "list")
    assert on_tty.count(line) == 1
    assert line not in rpa("routine", "list").stderr  # not a terminal: nothing
    assert line not in _on_a_tty(rpa, "--help")
    rpa("routine", "show", "Morning briefing")  # reading them clears the line
    assert line not in _on_a_tty(rpa, "routine", "list")


def test_a_quiet_result_never_reaches_the_terminal_line(rpa: PaRunner, fake_llm: FakeLLM) -> None:
    add(rpa)
    fake_llm.reply_text(
        thinking(None, ("routine_report", {"needs_attention": False, "summary": "all quiet"}))
    )
    fake_llm.reply_text(thinking("All quiet."))
    assert rpa("routine", "run-due", env={"PA_TEST_NOW": DUE}).returncode == 0
    assert "routine result" not in _on_a_tty(rpa, "routine", "list")
