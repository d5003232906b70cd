"""Mutation testing of the safety core with cosmic-ray: `uv run python -m tests.mutation [MODULE ...]`.

Why cosmic-ray (not mutmut): many of our tests run the real `pa` in a subprocess or a real `pa serve`.
cosmic-ray writes each mutant into the source file itself and runs a test command, so those
subprocesses import the mutant too. mutmut 3 keeps mutants in a `mutants/` copy behind trampolines
switched by an environment variable, and picks the tests to run from which functions each test called
*in process*: code reached only through a subprocess would look untested and its mutants survive.

The run never touches the working tree: the repository (tracked and untracked, non-ignored files) is
copied to a temporary directory and cosmic-ray mutates the copy. Tests there import `pa_cli` from the
copy (pytest puts the copy's root first on sys.path; `python -m pa_cli` subprocesses start in it),
which is checked before anything runs.

    uv run python -m tests.mutation                          # every module of the safety core
    uv run python -m tests.mutation pa_cli/tools/policy.py   # one module
    uv run python -m tests.mutation --changed HEAD~1 --max-minutes 4   # what CI runs (report only)

Prints killed/survived per module and each surviving mutant (a missing test, or an equivalent mutant
to review into tests/mutation/equivalent.md, which lists them with the reason and makes the run skip them).
"""

from __future__ import annotations

import argparse
import ast
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT_FILE = Path(__file__).with_name("equivalent.md")

#: The safety core: each module with the tests that stand behind it, fastest first (pytest stops at
#: the first failure, so most mutants die in the first seconds).
SAFETY_CORE: dict[str, list[str]] = {
    # The approval gate: where a turn or `pa tools run` decides to ask, and where a call runs and is audited.
    "pa_cli/tools/policy.py": [
        "tests/tools/test_policy.py",
        "tests/tools/test_registry.py",
        "tests/safety/test_policy_e2e.py",
    ],
    "pa_cli/agent/tool_step.py": [
        "tests/agent/test_tool_step_unit.py",
        "tests/agent/test_resume_branches.py",
        "tests/agent/test_service.py",
        "tests/safety/test_approval_gate.py",
    ],
    "pa_cli/tools/registry.py": [
        "tests/tools/test_registry_unit.py",
        "tests/tools/test_execute.py",
        "tests/tools/test_mcp.py",
        "tests/tools/test_registry.py",
        "tests/agent/test_service.py",
        "tests/safety/test_approval_gate.py",
    ],
    "pa_cli/agent/resume.py": ["tests/agent/test_resume_branches.py", "tests/safety/test_approval_gate.py"],
    "pa_cli/store/repositories/approvals.py": [
        "tests/store/test_approvals.py",
        "tests/store/test_approvals_exact.py",
        "tests/safety/test_approval_gate.py::test_approvals_expire_after_exactly_24_hours_by_default",
    ],
    "pa_cli/store/repositories/audit.py": [
        "tests/store/test_audit_exact.py",
        "tests/store/test_audit.py",
        "tests/store/test_audit_lock_postgres.py",
    ],
    # Secrets and redaction.
    "pa_cli/secrets/base.py": ["tests/secrets", "tests/safety/test_no_leaks.py"],
    "pa_cli/server/access_log.py": ["tests/server/test_access_log_unit.py", "tests/server/test_hardening.py"],
    # Server auth, tokens, OAuth state.
    "pa_cli/server/auth.py": ["tests/server/test_auth_unit.py", "tests/server/test_auth.py"],
    "pa_cli/server/oauth_state.py": [
        "tests/server/test_oauth_state_unit.py",
        "tests/server/test_hardening.py",
    ],
    "pa_cli/google/oauth.py": [
        "tests/google/test_oauth_unit.py",
        "tests/google/test_oauth.py",
        "tests/google/test_credentials.py",
    ],
    # Time zones and calendar planning.
    "pa_cli/google/timeutil.py": ["tests/google/test_timeutil.py", "tests/google/test_timeutil_exact.py"],
    "pa_cli/tools/google/calendar_requests.py": [
        "tests/tools/google/test_calendar_requests_unit.py",
        "tests/tools/google/test_calendar_time.py",
    ],
    "pa_cli/tools/google/calendar_plan.py": [
        "tests/tools/google/test_calendar_plan_unit.py",
        "tests/tools/google/test_calendar_time.py",
        "tests/tools/google/test_calendar_tools.py",
        "tests/tools/google/test_calendar_events.py",
    ],
    # Streams: the journal stores each event before it is sent; SSE sends and replays them.
    "pa_cli/server/journal.py": ["tests/server/test_journal.py"],
    "pa_cli/server/sse.py": [
        "tests/server/test_sse_unit.py",
        "tests/server/test_journal.py",
        "tests/server/test_slow_client.py",
    ],
}
#: Measured CPU minutes of each module's whole run (all its mutants, README's table): the lanes take the
#: costliest modules first from one queue, so two lanes end within about one small module of each other
#: (dealing modules round-robin left one lane with twice the other's work).
CPU_MINUTES: dict[str, float] = {
    "pa_cli/store/repositories/audit.py": 11.8,
    "pa_cli/tools/google/calendar_plan.py": 9.6,
    "pa_cli/agent/tool_step.py": 7.8,
    "pa_cli/agent/resume.py": 10.6,
    "pa_cli/server/auth.py": 7.0,
    "pa_cli/tools/registry.py": 6.2,
    "pa_cli/google/oauth.py": 4.5,
    "pa_cli/store/repositories/approvals.py": 4.6,
    "pa_cli/google/timeutil.py": 4.0,
    "pa_cli/server/sse.py": 4.3,
    "pa_cli/tools/policy.py": 2.2,
    "pa_cli/server/journal.py": 1.0,
    "pa_cli/server/oauth_state.py": 1.9,
    "pa_cli/server/access_log.py": 1.5,
    "pa_cli/tools/google/calendar_requests.py": 0.6,
    "pa_cli/secrets/base.py": 0.2,
}
PER_MUTANT_TIMEOUT_S = 300
PER_TEST_TIMEOUT_S = 60


@dataclass
class Equivalent:
    module: str
    operator: str
    line_text: str
    reason: str


@dataclass
class Survivor:
    line: int
    operator: str
    diff: str


@dataclass
class ModuleScore:
    module: str
    killed: int = 0
    survived: list[Survivor] = field(default_factory=list)
    equivalent: int = 0
    unchanged: int = 0
    not_run: int = 0
    elapsed_s: float = 0.0
    #: (wall, cpu) seconds of each mutant's test run, from tests/mutation/timed.py.
    runs: list[tuple[float, float]] = field(default_factory=list)

    @property
    def tested(self) -> int:
        return self.killed + len(self.survived)

    def line(self) -> str:
        score = f"{100 * self.killed / self.tested:.1f} %" if self.tested else "n/a"
        extra = [f"{self.equivalent} equivalent (skipped)"] if self.equivalent else []
        if self.unchanged:
            extra.append(f"{self.unchanged} on unchanged lines (skipped)")
        if self.not_run:
            extra.append(f"{self.not_run} not run (time budget)")
        tail = f"; {', '.join(extra)}" if extra else ""
        return f"{self.module}: {self.killed} killed, {len(self.survived)} survived of {self.tested} ({score}){tail}"

    def timing(self) -> str:
        if not self.runs:
            return f"{self.elapsed_s / 60:.1f} min"
        wall = statistics.median(w for w, _ in self.runs)
        cpu = [c for _, c in self.runs]
        return (
            f"{self.elapsed_s / 60:.1f} min for {len(self.runs)} mutants; per mutant median {wall:.1f} s wall, "
            f"{statistics.median(cpu):.1f} s CPU; {sum(cpu) / 60:.1f} CPU-min in all"
        )


def load_equivalents(path: Path = EQUIVALENT_FILE) -> list[Equivalent]:
    """Rows of the table in equivalent.md: | module | operator (glob) | `line text` | reason |."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if len(cells) == 4 and cells[0].startswith("pa_cli/"):
            rows.append(Equivalent(cells[0], cells[1], cells[2].strip("`"), cells[3]))
    return rows


def annotation_spans(source: str, module: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where never-evaluated annotations are: a mutant inside one cannot change behaviour.

    Only in a module with ``from __future__ import annotations`` (annotations kept as strings), and
    only those no library reads at run time: not class-level field annotations (pydantic, SQLModel and
    dataclasses read them), and no function annotations under pa_cli/server/ or pa_cli/cli/ (FastAPI
    and Typer read those to build requests and options).
    """
    tree = ast.parse(source)
    future = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    if not future:
        return []
    signatures_read = module.startswith(("pa_cli/server/", "pa_cli/cli/"))
    found: list[ast.expr] = []
    for parent in ast.walk(tree):
        for node in ast.iter_child_nodes(parent):
            if isinstance(node, ast.AnnAssign) and not isinstance(parent, ast.ClassDef):
                found.append(node.annotation)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not signatures_read:
                args = node.args
                every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
                found.extend(a.annotation for a in every if a is not None and a.annotation is not None)
                if node.returns is not None:
                    found.append(node.returns)
    return [
        ((a.lineno, a.col_offset), (a.end_lineno or a.lineno, a.end_col_offset or a.col_offset))
        for a in found
    ]


def _inside(spans: list[tuple[tuple[int, int], tuple[int, int]]], start: tuple[int, int]) -> bool:
    return any(first <= start < last for first, last in spans)


def changed_lines(module: str, ref: str) -> set[int]:
    """Lines of ``module`` added or changed since ``ref`` (working tree included)."""
    diff = subprocess.run(
        ["git", "diff", "-U0", ref, "--", module], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    lines: set[int] = set()
    for match in re.finditer(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@", diff, re.M):
        start, count = int(match.group(1)), int(match.group(2) or "1")
        lines.update(range(start, start + count))
    return lines


def copy_repository(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def check_imports_the_copy(copy: Path, env: dict[str, str]) -> None:
    where = subprocess.run(
        [sys.executable, "-c", "import pa_cli; print(pa_cli.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not where.startswith(str(copy)):
        raise SystemExit(f"error: the copy imports pa_cli from {where}, not from {copy}")


#: Only the plugins the safety core's tests need (PYTEST_DISABLE_PLUGIN_AUTOLOAD is set in the
#: environment): loading every installed plugin (schemathesis, hypothesis, playwright...) costs seconds
#: per mutant. None of the files in SAFETY_CORE uses a fixture of another plugin; one that did, or an
#: async test without pytest-asyncio, would fail on the unmutated code, which `_baseline` checks.
PLUGINS = ["-p", "pytest_asyncio.plugin", "-p", "pytest_timeout", "-p", "no:cacheprovider"]


def _baseline(module: str, first: str, copy: Path, env: dict[str, str]) -> None:
    """The module's first test file must pass on the unmutated code, with the runner's plugins.

    Otherwise every mutant would be "killed" by a test that fails anyway (a plugin left out, a fixture
    missing, a broken test) and the score would be a lie."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "--no-header", *PLUGINS, first]
    ran = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    if ran.returncode != 0:
        raise SystemExit(
            f"error: {first} fails on the unmutated {module} with the runner's plugins "
            f"({' '.join(PLUGINS)}), so its mutants cannot be scored:\n{ran.stdout[-2000:]}"
        )


def _config(module: str, tests: list[str], workdir: Path) -> Path:
    plugins = PLUGINS
    path = workdir / (module.replace("/", "_") + ".toml")
    times = path.with_suffix(".times")
    timed = [sys.executable, "-m", "tests.mutation.timed", str(times), "--"]
    # A mutant that makes a test hang (a loop that never ends) fails that test after PER_TEST_TIMEOUT_S.
    command = " ".join(
        [*timed, "-x", "-q", "--no-header", f"--timeout={PER_TEST_TIMEOUT_S}", *plugins, *tests]
    )
    path.with_suffix(".command").write_text(command, encoding="utf-8")
    path.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        f"timeout = {PER_MUTANT_TIMEOUT_S}.0\n"
        "excluded-modules = []\n"
        f'test-command = "{command}"\n'
        "[cosmic-ray.distributor]\n"
        'name = "local"\n',
        encoding="utf-8",
    )
    return path


def _skip(db_path: Path, module: str, copy: Path, changed: set[int] | None, score: ModuleScore) -> None:
    """Mark equivalent mutants, and (with --changed) mutants outside the changed lines, as skipped."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    text = (copy / module).read_text(encoding="utf-8")
    source = text.splitlines()
    annotations = annotation_spans(text, module)
    equivalents = [e for e in load_equivalents() if e.module == module]
    skipped_equivalent, skipped_unchanged = [], []
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        for item in db.pending_work_items:
            mutation = item.mutations[0]
            first, last = mutation.start_pos[0], mutation.end_pos[0]
            line = source[first - 1].strip()
            if _inside(annotations, tuple(mutation.start_pos)) or any(
                fnmatch(mutation.operator_name, e.operator) and e.line_text == line for e in equivalents
            ):
                skipped_equivalent.append(item.job_id)
            elif changed is not None and not (changed & set(range(first, last + 1))):
                skipped_unchanged.append(item.job_id)
        for ids, why in ((skipped_equivalent, "equivalent"), (skipped_unchanged, "unchanged line")):
            if ids:
                db.set_multiple_results(ids, WorkResult(output=why, worker_outcome=WorkerOutcome.SKIPPED))
    score.equivalent, score.unchanged = len(skipped_equivalent), len(skipped_unchanged)


def _collect(db_path: Path, score: ModuleScore) -> None:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    with use_db(str(db_path), WorkDB.Mode.open) as db:
        score.not_run = db.num_work_items - db.num_results
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            if result.test_outcome == TestOutcome.SURVIVED:
                mutation = item.mutations[0]
                score.survived.append(
                    Survivor(mutation.start_pos[0], mutation.operator_name, result.diff or "")
                )
            else:
                score.killed += 1


def run_module(
    module: str,
    tests: list[str],
    copy: Path,
    env: dict[str, str],
    changed: set[int] | None,
    deadline: float,
    estimate: bool = False,
) -> ModuleScore:
    score = ModuleScore(module)
    started = time.monotonic()
    workdir = copy / ".mutation"
    workdir.mkdir(exist_ok=True)
    config = _config(module, tests, workdir)
    db_path = workdir / (config.stem + ".sqlite")
    cosmic = [sys.executable, "-m", "cosmic_ray.cli"]
    subprocess.run([*cosmic, "init", str(config), str(db_path)], cwd=copy, env=env, check=True)
    _skip(db_path, module, copy, changed, score)
    if not estimate:
        _baseline(module, tests[0], copy, env)
    remaining = deadline - time.monotonic()
    if estimate:
        # One run of the tests on the unmutated code: the cost of a surviving mutant (the most any
        # mutant costs; a killed one stops at its first failing test).
        command = config.with_suffix(".command").read_text(encoding="utf-8").split()
        subprocess.run(command, cwd=copy, env=env, capture_output=True, timeout=PER_MUTANT_TIMEOUT_S * 4)
    elif remaining > 0:
        proc = subprocess.Popen(
            [*cosmic, "exec", str(config), str(db_path)], cwd=copy, env=env, start_new_session=True
        )
        try:
            proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
    _collect(db_path, score)
    score.elapsed_s = time.monotonic() - started
    times = config.with_suffix(".times")
    if times.exists():
        for row in times.read_text(encoding="utf-8").splitlines():
            wall, cpu, _code = row.split()
            score.runs.append((float(wall), float(cpu)))
    return score


def run_lane(
    modules: queue.SimpleQueue[str],
    changed: dict[str, set[int] | None],
    env: dict[str, str],
    deadline: float,
    keep: bool,
    estimate: bool = False,
) -> list[ModuleScore]:
    """Take modules from the shared queue until it is empty, in a copy of the repository of its own."""
    copy = Path(tempfile.mkdtemp(prefix="pa-mutation-"))
    scores: list[ModuleScore] = []
    try:
        copy_repository(copy)
        check_imports_the_copy(copy, env)
        while True:
            try:
                module = modules.get_nowait()
            except queue.Empty:
                return scores
            scores.append(
                run_module(module, SAFETY_CORE[module], copy, env, changed[module], deadline, estimate)
            )
    finally:
        if keep:
            print(f"mutation: the copy is kept in {copy}")
        else:
            shutil.rmtree(copy, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="modules of the safety core (default: all of them)")
    parser.add_argument("--changed", metavar="REF", help="only mutants on lines changed since REF (git)")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop starting mutants after this")
    parser.add_argument("--fail-under", type=float, default=0.0, help="exit 1 when a module scores below")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (its .mutation/ dbs)")
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="count the mutants and time one unmutated test run per module, instead of running them",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="modules run side by side, one copy each (default 2)"
    )
    args = parser.parse_args(argv)

    unknown = [m for m in args.modules if m not in SAFETY_CORE]
    if unknown:
        parser.error(f"not in the safety core: {', '.join(unknown)} (see SAFETY_CORE in {__file__})")
    modules = args.modules or list(SAFETY_CORE)
    changed: dict[str, set[int] | None] = {m: None for m in modules}
    if args.changed:
        known = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", args.changed + "^{commit}"],
            cwd=ROOT,
            capture_output=True,
        )
        if known.returncode != 0:
            print(
                f"mutation: no commit {args.changed} to compare with (a first commit or a shallow clone): skipped"
            )
            return 0
        changed = {m: changed_lines(m, args.changed) for m in modules}
        modules = [m for m in modules if changed[m]]
        if not modules:
            print(f"mutation: no safety-core lines changed since {args.changed}")
            return 0
    deadline = time.monotonic() + (args.max_minutes * 60 if args.max_minutes else 10**9)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTHONPATH", None)
    # Each lane mutates its own copy and takes the next module from one queue, costliest first.
    work: queue.SimpleQueue[str] = queue.SimpleQueue()
    for module in sorted(modules, key=lambda m: -CPU_MINUTES.get(m, 0.0)):
        work.put(module)
    lanes = min(max(1, args.jobs), len(modules))
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=lanes) as pool:
        done = pool.map(
            lambda _: run_lane(work, changed, env, deadline, args.keep, args.estimate), range(lanes)
        )
        by_module = {score.module: score for lane_scores in done for score in lane_scores}
    scores = [by_module[m] for m in modules]
    failed = False
    print(
        f"\nmutation testing (cosmic-ray), {(time.monotonic() - started) / 60:.1f} min with {args.jobs} lane(s):"
    )
    if args.estimate:
        total = 0.0
        for score in scores:
            cpu = score.runs[0][1] if score.runs else 0.0
            wall = score.runs[0][0] if score.runs else 0.0
            total += score.not_run * cpu
            print(
                f"  {score.module}: {score.not_run} mutants to run ({score.equivalent} skipped as equivalent); "
                f"one full test run {wall:.1f} s wall, {cpu:.1f} s CPU: at most {score.not_run * cpu / 60:.1f} CPU-min"
            )
        print(f"  at most {total / 60:.1f} CPU-min in all: {total / 120:.1f} min on 2 idle cores")
        return 0
    for score in scores:
        print("  " + score.line())
        print("    time: " + score.timing())
        for survivor in score.survived:
            print(f"    survived: line {survivor.line} {survivor.operator}")
            for diff_line in survivor.diff.splitlines():
                if diff_line.startswith(("+", "-")) and not diff_line.startswith(("+++", "---")):
                    print(f"      {diff_line}")
        if score.tested and 100 * score.killed / score.tested < args.fail_under:
            failed = True
    if failed:
        print(
            f"mutation: a module scored below {args.fail_under:g} %: add the missing test, or review the "
            f"mutant into {EQUIVALENT_FILE.relative_to(ROOT)}"
        )
    return 1 if failed else 0
