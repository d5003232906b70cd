"""The memory panel and /routines in a real terminal (tmux), at the widths people use.

A long fact is wrapped, never cut, and its untrusted mark stays on screen; an edit that makes a
fact longer shows all of it; the dialogs are centred. Read with ``capture-pane``: what a person sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.tmux import Tmux

pytestmark = pytest.mark.slow

LONG = "The offsite is the Q3 planning week in Lisbon, 14-18 September, with the whole platform team"


def _seed() -> None:
    from pa_cli.config import load_settings
    from pa_cli.routines.manage import add_routine
    from pa_cli.store import open_store

    settings = load_settings()
    store = open_store(settings)
    try:
        uid = store.users.local_user().id
        store.memories.add(uid, "My manager is Sam")
        store.memories.add(uid, LONG, taint="this session read mail from mallory@evil.example")
        add_routine(
            settings, store, uid, name="Morning briefing", when="weekdays 08:00", prompt="What needs me?"
        )
    finally:
        store.close()


def _flat(screen: str) -> str:
    """The screen's words, with the dialog's borders and line breaks taken out."""
    return " ".join(screen.replace("█", " ").split())


@pytest.mark.parametrize("width", [80, 120])
def test_memory_panel_and_routines_in_a_real_terminal(tmux: Tmux, pa_home: Path, width: int) -> None:
    _seed()
    tmux.start_pa(pa_home, width, ["chat"], height=24)
    tmux.wait_for(lambda screen: "Message pa" in screen)

    tmux("send-keys", "-t", "pa", "F2")
    screen = tmux.wait_for(lambda screen: "Memory: 2 facts" in screen)
    assert LONG in _flat(screen), screen  # wrapped over lines, every word on screen
    assert "untrusted" in screen and "My manager is Sam" in screen
    top = next(line for line in screen.splitlines() if "▀" in line)
    left, right = len(top) - len(top.lstrip()), width - len(top.rstrip())
    assert abs(left - right) <= 1, screen  # centred

    # Edit the short fact into a longer one: all of it is shown (it was cut to its old width).
    longer = "My manager is Priya Raman, who took over from Sam in November"
    tmux("send-keys", "-t", "pa", "Down", "e")
    # Typing before the editor has the focus would send letters to the table (e, d, p are its keys).
    tmux.wait_for(
        lambda screen: any("▊" in line and "My manager is Sam" in line for line in screen.splitlines())
    )
    tmux("send-keys", "-t", "pa", "C-a", "C-k")
    # Type once the field is seen empty, as a person would: Textual handles C-a and C-k as bindings,
    # after a round trip through the field, so letters sent in the same instant can overtake them
    # when the app is busy (as it is when the store has just opened) and be wiped by C-k.
    tmux.wait_for(
        lambda screen: any("▊" in line and "the fact; Enter saves" in line for line in screen.splitlines())
    )
    tmux("send-keys", "-t", "pa", "-l", longer)
    # Enter once the new text is in the editor, as a person would (its end is what the field shows).
    tmux.wait_for(lambda screen: any("▊" in line and "November" in line for line in screen.splitlines()))
    tmux("send-keys", "-t", "pa", "Enter")
    screen = tmux.wait_for(lambda screen: longer in _flat(screen) and "Sam\n" not in screen)
    assert LONG in _flat(screen)

    tmux("send-keys", "-t", "pa", "Escape")
    tmux.wait_for(lambda screen: "Memory:" not in screen)
    tmux("send-keys", "-t", "pa", "/routines", "Enter")
    screen = tmux.wait_for(lambda screen: "Morning briefing" in screen)
    assert "Routines" in screen and "next " in screen
    tmux("send-keys", "-t", "pa", "Escape")
    tmux.wait_for(lambda screen: "Routines (" not in screen)
    tmux.quit()
