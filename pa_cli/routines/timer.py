"""A system timer for ``pa routine run-due``: a systemd user timer, or a crontab line.

The timer fires every minute; ``run-due`` claims what is due in the database,
so a timer on a laptop and a ``pa serve`` elsewhere on the same database never
run a slot twice. ``Persistent=true`` makes systemd fire once after a sleep, and
the late run is made once, however many slots were missed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

UNIT = "pa-routines"


def pa_command() -> list[str]:
    """How to start this pa: the ``pa`` on PATH when it is this one, else this interpreter."""
    found = shutil.which("pa")
    if found and Path(found).resolve().parent == Path(sys.executable).resolve().parent:
        return [found]
    return [sys.executable, "-m", "pa_cli"]


def _environment() -> dict[str, str]:
    """Settings the timer must share with this shell (never secrets: no database URL, no keys)."""
    return {k: os.environ[k] for k in ("PA_HOME",) if os.environ.get(k)}


def crontab_line() -> str:
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in _environment().items())
    command = shlex.join([*pa_command(), "routine", "run-due"])
    return f"* * * * * {env + ' ' if env else ''}{command} >/dev/null 2>&1"


def service_unit() -> str:
    lines = [
        "[Unit]",
        "Description=pa: run the routines that are due",
        "",
        "[Service]",
        "Type=oneshot",
        f"ExecStart={shlex.join([*pa_command(), 'routine', 'run-due'])}",
    ]
    lines += [f"Environment={k}={v}" for k, v in _environment().items()]
    return "\n".join(lines) + "\n"


def timer_unit() -> str:
    return (
        "[Unit]\n"
        "Description=pa: check for due routines every minute\n"
        "\n"
        "[Timer]\n"
        "OnCalendar=*-*-* *:*:00\n"
        "Persistent=true\n"
        "AccuracySec=5s\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def systemd_user_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


@dataclass(frozen=True)
class Installed:
    service: Path
    timer: Path


def install_systemd_timer() -> Installed:
    folder = systemd_user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    service = folder / f"{UNIT}.service"
    timer = folder / f"{UNIT}.timer"
    service.write_text(service_unit(), encoding="utf-8")
    timer.write_text(timer_unit(), encoding="utf-8")
    return Installed(service, timer)
