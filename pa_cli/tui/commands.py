"""Slash commands: /new, /sessions, /tools, /authorize, /system, /search, /routines, /help."""

from __future__ import annotations

from dataclasses import dataclass

HELP = """\
**Keys**

| key | what it does |
| --- | --- |
| Enter | send the message |
| Shift+Enter, Ctrl+J | new line in the message |
| Up / Down | earlier / later messages you sent (at the first / last line) |
| Esc | stop the running answer (what was written is kept) |
| Ctrl+N | new session |
| Ctrl+B | show or hide the sessions sidebar |
| F1 | this help |
| Ctrl+Q | quit |

**Commands**

| command | what it does |
| --- | --- |
| `/new` | start a new session |
| `/sessions` | show the sessions sidebar and move to it |
| `/tools` | the tools the assistant can use, and whether they are ready |
| `/authorize gmail`, `calendar` or `contacts` | connect a Google account (opens your browser) |
| `/system` | show and edit the system prompt |
| `/search TEXT` | search earlier conversations |
| `/routines` | your routines; Enter runs one now (its actions wait for your approval) |
| `/help` | this help |

Actions that send, create, change or delete anything ask for your approval first.
"""

#: ``undo`` takes back the latest approved mail while it waits in the outbox (not in HELP yet: snapshot).
COMMANDS = ("new", "sessions", "tools", "authorize", "system", "search", "routines", "help", "undo")
GOOGLE_SERVICES = ("gmail", "calendar", "contacts")


@dataclass(frozen=True)
class SlashCommand:
    name: str
    argument: str


def parse(text: str) -> SlashCommand | None:
    """``/name rest`` -> SlashCommand; anything else (including ``//text``) is a message."""
    stripped = text.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    name, _, argument = stripped[1:].partition(" ")
    return SlashCommand(name.lower(), argument.strip())


def message_text(text: str) -> str:
    """A message that starts with ``//`` is sent with one slash (to talk about a slash command)."""
    stripped = text.strip()
    return stripped[1:] if stripped.startswith("//") else text


def usage_problem(command: SlashCommand) -> str | None:
    """Why the command cannot run as typed, or None."""
    if command.name not in COMMANDS:
        return f"Unknown command /{command.name}. Commands: " + ", ".join(f"/{c}" for c in COMMANDS)
    if command.name == "search" and not command.argument:
        return "Usage: /search TEXT"
    if command.name == "authorize" and command.argument.lower() not in GOOGLE_SERVICES:
        return "Usage: /authorize gmail, /authorize calendar or /authorize contacts"
    return None
