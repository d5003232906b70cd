"""The environment an MCP server process inherits: the MCP SDK's safe minimal set, copied.

Copied rather than imported so that a server can be spawned before the SDK (~0.8 s) is imported;
a test keeps the copy equal to the SDK's.
"""

from __future__ import annotations

import os
import sys

#: The SDK's ``mcp.client.stdio.DEFAULT_INHERITED_ENV_VARS``.
INHERITED_ENV_VARS: tuple[str, ...] = (
    (
        "APPDATA",
        "HOMEDRIVE",
        "HOMEPATH",
        "LOCALAPPDATA",
        "PATH",
        "PATHEXT",
        "PROCESSOR_ARCHITECTURE",
        "SYSTEMDRIVE",
        "SYSTEMROOT",
        "TEMP",
        "USERNAME",
        "USERPROFILE",
    )
    if sys.platform == "win32"
    else ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER")
)


def default_environment() -> dict[str, str]:
    """The safe minimal environment a server inherits, as the SDK's ``get_default_environment``."""
    return {
        key: value
        for key in INHERITED_ENV_VARS
        if (value := os.environ.get(key)) is not None and not value.startswith("()")
    }
