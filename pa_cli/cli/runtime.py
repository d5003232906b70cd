"""What commands share: settings with flag overrides, the output consoles.

Heavy objects (store, secret store, agent service) are built on first use,
inside the command that needs them.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from pa_cli.config import Settings


_C1 = re.compile("[\x7f-\x9f]")


def load(overrides: dict[str, Any] | None = None) -> Settings:
    from pa_cli.config import load_settings

    return load_settings(overrides)


@cache
def out() -> Console:
    from rich.console import Console

    return Console(highlight=False)


@cache
def err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def print_json(data: Any) -> None:
    """JSON on stdout. json escapes C0 controls itself; C1 controls (8-bit CSI, OSC...) are escaped too."""
    import json

    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
