"""`pa chat` draws its prompt before the store is open; what is typed meanwhile waits, and an
unusable database still says why, on the screen, in a real terminal (tmux). Before that first frame
only Textual is loaded (no Typer, pydantic or ORM), and at 80x24 it shows all of itself."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from pa_cli.paths import app_paths
from pa_cli.testing.fake_llm import FakeLLM, Reply
from pa_cli.tui.widgets.prompt import PLACEHOLDER
from tests.fixtures.tmux import TYPER_ONLY, Tmux
from tests.tui.conftest import thinking

PROBE = Path(__file__).with_name("first_frame_probe.py")
NEW_SESSION = "New session. Type a message, or /help for keys and commands."
#: Long enough for the old order (store first, then the screen) to show that it waits on the lock.
PROMPT_WITHIN_S = 20.0


def _locked_empty_database() -> sqlite3.Connection:
    """An empty WAL database whose write lock this connection holds: pa's migration waits for it."""
    path = app_paths().database_file
    path.parent.mkdir(parents=True, exist_ok=True)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("PRAGMA journal_mode=WAL")
    locker.execute("BEGIN IMMEDIATE")
    return locker


def _stored_user_messages() -> list[str]:
    from pa_cli.config import load_settings
    from pa_cli.store import open_store

    store = open_store(load_settings())
    try:
        sessions = store.sessions.list(store.users.local_user().id)
        return [m.content for s in sessions for m in store.messages.list(s.id) if m.role == "user"]
    finally:
        store.close()


@pytest.mark.slow
def test_the_prompt_shows_while_the_store_cannot_open_and_a_message_typed_then_waits_for_it(
    tmux: Tmux, fake_llm: FakeLLM, pa_home: Path
) -> None:
    fake_llm.script(Reply(text=thinking("Answered once the store was open."), chunk_size=5))
    locker = _locked_empty_database()
    try:
        tmux.start_pa(pa_home, 100, ["chat"], env=fake_llm.env(model="fake"))
        tmux.wait_for(lambda screen: "Message pa" in screen, timeout=PROMPT_WITHIN_S)

        tmux("send-keys", "-t", "pa", "typed before the store", "Enter")
        screen = tmux.wait_for(lambda screen: "typed before the store" in screen)
        time.sleep(1.0)  # time enough to send, had it not waited
        screen = tmux.screen()
        assert "Answered once" not in screen
        assert fake_llm.requests == []  # nothing goes out before the message is stored
    finally:
        locker.execute("COMMIT")
        locker.close()

    screen = tmux.wait_for(lambda screen: "Answered once the store was open." in screen)
    assert "Error" not in screen
    assert len(fake_llm.requests) == 1 and "typed before the store" in fake_llm.requests[0].prompt_text
    tmux.quit()
    assert _stored_user_messages() == ["typed before the store"]


def _database_from_a_newer_pa() -> None:
    from pa_cli.config import load_settings
    from pa_cli.store import open_store

    open_store(load_settings()).close()
    with sqlite3.connect(app_paths().database_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")


@pytest.mark.slow
@pytest.mark.parametrize("launcher", [("-m", "pa_cli"), TYPER_ONLY], ids=["fast-path", "typer"])
def test_an_unusable_database_shows_its_error_on_screen_and_a_message_is_not_sent(
    tmux: Tmux, fake_llm: FakeLLM, pa_home: Path, launcher: tuple[str, ...]
) -> None:
    """Both ways in: `python -m pa_cli chat` (past Typer) and Typer's own `chat` command."""
    _database_from_a_newer_pa()
    tmux.start_pa(
        pa_home, 99, ["chat"], env=fake_llm.env(model="fake"), show_exit=True, launcher=launcher
    )  # 99: no sidebar

    screen = tmux.wait_for(lambda screen: "Message pa" in screen and "newer pa" in screen)
    text = " ".join(screen.split())
    assert "9999_from_the_future" in text
    assert "upgrade pa, or set PA_DATABASE_URL to another database" in text
    assert "Could not list sessions" not in text  # said once, not once per reader

    tmux("send-keys", "-t", "pa", "hello anyway", "Enter")
    screen = tmux.wait_for(lambda screen: "Error:" in screen and "hello anyway" in screen)
    assert fake_llm.requests == []
    tmux("send-keys", "-t", "pa", "C-q")
    # Once the screen is gone the error stays in the shell, as a command's error does, with exit code 1.
    screen = tmux.wait_for(lambda screen: "pa exited with" in screen)
    lines = [line for line in screen.splitlines() if line.strip()]
    assert lines[-1] == "pa exited with 1"
    said = " ".join(screen[screen.rindex("error: ") :].split())
    assert said.startswith("error: ") and "newer pa" in said.split(" hint: ")[0], said
    assert " hint: upgrade pa, or set PA_DATABASE_URL to another database" in said
    with sqlite3.connect(app_paths().database_file) as conn:  # left as it was
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("9999_from_the_future",)
        ]


@pytest.mark.slow
def test_only_textual_is_loaded_before_the_first_frame_typer_never_and_no_collection(
    tmux: Tmux, pa_home: Path, tmp_path: Path
) -> None:
    """The real `python -m pa_cli chat` under an audit hook (first_frame_probe.py), in a terminal."""
    events_file = tmp_path / "events.txt"
    tmux.start_pa(pa_home, 80, ["chat"], height=24, launcher=(str(PROBE), str(events_file)))
    tmux.wait_for(lambda screen: "Message pa" in screen)
    tmux.quit()  # pa waits for the opening under way before it exits: its imports are all recorded

    said = dict(line.split(":", 1) for line in events_file.read_text(encoding="utf-8").splitlines())
    assert said["frame"].split() == ["textual"], said  # no Typer, pydantic, ORM, Markdown parser, screens
    loaded = said["exit"].split()
    for opened_later in (
        "pydantic",
        "pa_cli.config",
        "sqlalchemy",
        "pa_cli.store.store",
        "pa_cli.agent.service",
    ):
        assert opened_later in loaded, said  # the service did open, after the frame
    assert not {"typer", "click", "pa_cli.cli.app"} & set(loaded), said
    # The garbage collector waits through Textual's import and first layout, and resumes after them.
    assert (said["frame-gc"].strip(), said["exit-gc"].strip()) == ("off", "on"), said


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height"), [(80, 24), (100, 30)], ids=["80x24", "100x30-sidebar"])
def test_the_first_screen_shows_the_whole_prompt_and_every_key_nothing_cut(
    tmux: Tmux, pa_home: Path, width: int, height: int
) -> None:
    tmux.start_pa(pa_home, width, ["chat"], height=height)
    # The footer fills in just after the first frame (Textual lists the keys once the prompt has the focus).
    screen = tmux.wait_for(
        lambda screen: "Message pa" in screen and "New session." in screen and "Help" in screen
    )
    lines = screen.splitlines()
    assert len(lines) <= height and all(len(line) <= width for line in lines), screen
    assert any(PLACEHOLDER in line for line in lines), screen  # on one line, whole
    assert any(NEW_SESSION in line for line in lines), screen
    footer = lines[-1]
    for key in ("⏎ Send", "^q Quit", "esc Stop", "^n New session", "^b Sessions", "f2 Memory", "f1 Help"):
        assert key in footer, screen
    tmux.quit()
