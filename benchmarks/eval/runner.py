"""Run evaluation tasks through the real ``pa ask --json --yes``, against the fake Google and any LLM.

Each task gets a fresh ``PA_HOME`` (SQLite store, encrypted-file secret store, time zone
Europe/Paris) with Gmail and Calendar authorized against the fake Google (tokens issued by
the fake, saved as ``pa tools authorize`` would). ``--yes`` approves side effects for the
one command, so a checker sees what a model's calls really did, injections included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.eval.tasks import Outcome, Task
from pa_cli.testing.fake_google import FakeGoogle
from pa_cli.testing.fake_google.grants import grant_services

PASSPHRASE = "pa eval harness (not a secret)"
TASK_TIMEOUT_SECONDS = 900.0


@dataclass
class TaskResult:
    name: str
    kind: str
    ok: bool
    reason: str | None
    llm_calls: int | None
    input_tokens: int | None
    output_tokens: int | None
    seconds: float


def _read_files(env: dict[str, str], paths: tuple[str, ...]) -> dict[str, str]:
    if not paths:
        return {}
    from pa_cli.config import load_settings
    from pa_cli.store import open_store

    store = open_store(load_settings(environ=env))
    try:
        user = store.users.local_user().id
        found = {path: store.vfs.read(user, path) for path in paths}
        return {path: f.content for path, f in found.items() if f is not None}
    finally:
        store.close()


def task_env(home: Path, fake: FakeGoogle, llm_env: dict[str, str]) -> dict[str, str]:
    (home / "config").mkdir(parents=True, exist_ok=True)
    config = '[user]\ntimezone = "Europe/Paris"\n'
    limit = os.environ.get("PA_EVAL_MAX_TOKENS")  # small local models run on: cut them early
    if limit:
        # No longer a long first-byte timeout: llama.cpp's keep-alives count as life while the model reads.
        config += f"[llm]\nmax_tokens_thinking = {int(limit)}\nmax_tokens_response = {int(limit)}\n"
    (home / "config" / "config.toml").write_text(config, encoding="utf-8")
    secrets_file = fake.client_secrets_json(home / "client_secret.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PA_")}
    env.update(fake.env(secrets_file))
    env.update(llm_env)
    env.update({"PA_HOME": str(home), "PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": PASSPHRASE})
    return env


def run_task(task: Task, fake: FakeGoogle, llm_env: dict[str, str], before: Any = None) -> TaskResult:
    """Seed, ask, check. ``before(ids, now)`` runs after seeding (the scripted mode queues replies there)."""
    fake.reset()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix=f"pa-eval-{task.name}-") as tmp:
        env = task_env(Path(tmp) / "home", fake, llm_env)
        grant_services(env, fake)
        ids = task.seed(fake, now)
        if before is not None:
            before(ids, now)
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "pa_cli", "ask", task.message, "--json", "--yes"],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TASK_TIMEOUT_SECONDS,
            )
            exit_code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired:
            exit_code, stdout, stderr = -1, "", "timed out"
        seconds = time.monotonic() - started
        data: dict[str, Any] = {}
        if exit_code == 0:
            try:
                data = json.loads(stdout)
            except ValueError:
                data = {}
        outcome = Outcome(
            exit_code=exit_code,
            answer=str(data.get("response", "")),
            tools_used=list(data.get("tools_used", [])),
            fake=fake,
            files=_read_files(env, task.files),
        )
        reason = task.check(outcome, ids, now)
        if reason is not None and exit_code != 0:
            last = (stderr.strip().splitlines() or [""])[0]
            reason = f"{reason} ({last[:120]})"
        usage = data.get("usage") or {}
        return TaskResult(
            name=task.name,
            kind=task.kind,
            ok=reason is None,
            reason=reason,
            llm_calls=usage.get("llm_calls"),
            input_tokens=usage.get("input_tokens"),
            output_tokens=usage.get("output_tokens"),
            seconds=seconds,
        )
