"""Put each of the 13 once-missed bugs back and check a test fails: `uv run python -m tests.mutation.replay`.

The bugs are written as text replacements on the current code (not line-numbered patches, which stop
applying as the code moves): a replacement that no longer matches is reported as such, to be rewritten
to the code as it now stands. Each bug is applied to its own temporary copy of the repository, never to
the working tree, and only the tests named as its catchers run. `--write-patches` refreshes
`tests/mutation/bugs/*.patch` from the replacements (a diff against the current code).

    uv run python -m tests.mutation.replay          # all 13
    uv run python -m tests.mutation.replay 03 11    # some
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.mutation.run import ROOT, copy_repository

BUGS_DIR = Path(__file__).with_name("bugs")


@dataclass(frozen=True)
class Bug:
    number: str
    slug: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


GATE = "tests/safety/test_approval_gate.py::"
BUGS: tuple[Bug, ...] = (
    Bug(
        "01",
        "calendar-gate",
        "pa_cli/agent/tool_step.py",
        '    if policy == "ask":\n        try:\n            prepared',
        '    if policy == "ask" and not tool.name.startswith("calendar_"):\n        try:\n            prepared',
        (GATE + "test_agent_turn_waits_for_approval_before_any_calendar_change",),
    ),
    Bug(
        "02",
        "tools-run-google-no-ask",
        "pa_cli/agent/direct.py",
        '    if policy == "ask":  # side effects by default',
        '    if policy == "ask" and not tool.requires:  # side effects by default',
        (GATE + "test_tools_run_of_a_google_side_effect_waits_for_approval",),
    ),
    Bug(
        "03",
        "deny-not-told",
        "pa_cli/agent/resume.py",
        "    state.outcomes.append(\n",
        '    (state.outcomes.append if status != "denied" else (lambda _outcome: None))(\n',
        (GATE + "test_after_a_deny_the_next_prompt_reports_that_exact_call_denied",),
    ),
    Bug(
        "04",
        "resume-no-digest-check",
        "pa_cli/agent/resume.py",
        "    elif arguments_digest(arguments) != approval.arguments_hash:\n",
        "    elif False:\n",
        (GATE + "test_resume_refuses_arguments_changed_after_approval",),
    ),
    Bug(
        "05",
        "no-audit-on-failure",
        "pa_cli/tools/registry.py",
        '    ctx.store.audit.close(\n        begun, outcome="executed" if result.ok else "failed"',
        "    (ctx.store.audit.close if result.ok else (lambda *_a, **_k: None))(\n"
        '        begun, outcome="executed" if result.ok else "failed"',
        (GATE + "test_a_failed_tool_result_is_audited",),
    ),
    Bug(
        "06",
        "approvals-365-days",
        # The lifetime now comes from `approvals.expire_hours` (default 24), which open_store passes on.
        "pa_cli/config.py",
        "    expire_hours: int = Field(24, ge=1,",
        "    expire_hours: int = Field(8760, ge=1,",
        (GATE + "test_approvals_expire_after_exactly_24_hours_by_default",),
    ),
    Bug(
        "07",
        "doctor-prints-password",
        "pa_cli/doctor/checks.py",
        "    shown = redact_url(url)\n",
        "    shown = url\n",
        ("tests/safety/test_no_leaks.py::test_doctor_json_never_prints_the_database_password",),
    ),
    Bug(
        "08",
        "keyring-error-not-scrubbed",
        "pa_cli/secrets/os_keyring.py",
        '            detail = redact(f"{type(exc).__name__}: {exc}", value)\n',
        '            detail = f"{type(exc).__name__}: {exc}"\n',
        ("tests/safety/test_no_leaks.py::test_keyring_error_text_is_scrubbed_of_the_secret",),
    ),
    Bug(
        "09",
        "history-n-plus-one",
        "pa_cli/history.py",
        "self.store.sessions.list(self.user_id, limit=limit, offset=offset)",
        "self.store.sessions.list(self.user_id, limit=limit + 1, offset=offset)",
        ("tests/safety/test_turn_facts.py::test_history_list_n_returns_exactly_n_sessions",),
    ),
    Bug(
        "10",
        "ignores-user-timezone",
        "pa_cli/agent/context.py",
        "    return ZoneInfo(settings.user.timezone or system_timezone_name())\n",
        "    return ZoneInfo(system_timezone_name())\n",
        (
            "tests/safety/test_turn_facts.py::test_a_turn_prompt_names_the_configured_zone_and_todays_date_in_it",
        ),
    ),
    Bug(
        "11",
        "partial-answer-lost",
        "pa_cli/agent/service.py",
        "        if state.finished or not state.answer:\n",
        "        if True:\n",
        (
            "tests/safety/test_turn_facts.py::test_partial_answer_is_kept_exactly_as_streamed_when_the_model_fails",
        ),
    ),
    Bug(
        "12",
        "qr-without-token",
        "pa_cli/pairing.py",
        '.rstrip("/") + "/#token=" + token\n',
        '.rstrip("/") + "/"\n',
        ("tests/safety/test_pairing_qr.py::test_pairing_qr_decodes_to_the_url_holding_the_printed_token",),
    ),
    Bug(
        "13",
        "token-merge-drops-text",
        "pa_cli/server/live.py",
        "            merged[-1] = TextDelta(text=merged[-1].text + item.text)\n",
        "            merged[-1] = TextDelta(text=item.text)\n",
        ("tests/server/test_slow_client.py::test_a_slow_reader_gets_every_character_in_merged_token_events",),
    ),
)


def patch_text(bug: Bug) -> str:
    """The bug as a unified diff against the current code ('' when its text no longer matches once)."""
    source = (ROOT / bug.file).read_text(encoding="utf-8")
    if source.count(bug.old) != 1:
        return ""
    mutated = source.replace(bug.old, bug.new)
    return "".join(
        difflib.unified_diff(
            source.splitlines(keepends=True),
            mutated.splitlines(keepends=True),
            f"a/{bug.file}",
            f"b/{bug.file}",
        )
    )


def replay(bug: Bug, env: dict[str, str]) -> tuple[str, str]:
    """(verdict, detail): "caught" when a catcher test fails with the bug in, "MISSED" when all pass."""
    source = (ROOT / bug.file).read_text(encoding="utf-8")
    if source.count(bug.old) != 1:
        return "does not apply", f"the text to replace is no longer found once in {bug.file}"
    copy = Path(tempfile.mkdtemp(prefix=f"pa-bug-{bug.number}-"))
    try:
        copy_repository(copy)
        (copy / bug.file).write_text(source.replace(bug.old, bug.new), encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-x"]
        # PYTHONPATH too: a `pa` subprocess started from another directory still imports the copy.
        proc = subprocess.run(
            [*command, *bug.tests],
            cwd=copy,
            env={**env, "PYTHONPATH": str(copy)},
            capture_output=True,
            text=True,
            timeout=900,
        )
        last = (proc.stdout.strip().splitlines() or [""])[-1]
        if proc.returncode == 1:
            return "caught", last
        if proc.returncode == 0:
            return "MISSED", last
        return "error", f"pytest exit {proc.returncode}: {last}"
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mutation.replay", description=__doc__.split("\n")[0]
    )
    parser.add_argument("numbers", nargs="*", help="bug numbers (default: all)")
    parser.add_argument("--write-patches", action="store_true", help="refresh tests/mutation/bugs/*.patch")
    args = parser.parse_args(argv)
    bugs = [b for b in BUGS if not args.numbers or b.number in args.numbers]
    if args.write_patches:
        for bug in bugs:
            text = patch_text(bug)
            if text:
                for old in BUGS_DIR.glob(f"{bug.number}-*.patch"):
                    old.unlink()
                (BUGS_DIR / f"{bug.number}-{bug.slug}.patch").write_text(text, encoding="utf-8")
        return 0
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    failed = False
    print(f"replay of the once-missed bugs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    for bug in bugs:
        verdict, detail = replay(bug, env)
        failed |= verdict != "caught"
        print(f"{bug.number} {bug.slug}: {verdict} ({detail})", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
