"""The standalone fake LLM's command line: a script file of replies in, the base URL out."""

from __future__ import annotations

import argparse
import itertools
import json
import signal
import sys
import threading

from pa_cli.testing.fake_llm.script import Reply
from pa_cli.testing.fake_llm.server import FakeLLM


def load_script(path: str) -> list[Reply]:
    """Read a script file: a JSON list of Reply objects (field names as in :class:`Reply`) or strings."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, list):
        raise ValueError("a fake LLM script is a JSON list of replies")
    return [Reply.from_dict(item) for item in data]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pa_cli.testing.fake_llm", description="Scripted LLM.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON list of replies")
    parser.add_argument("--cycle", action="store_true", help="replay the script forever")
    args = parser.parse_args(argv)
    replies = load_script(args.script) if args.script else []
    fake = FakeLLM(host=args.host, port=args.port)
    if args.cycle and replies:
        endless = itertools.cycle(replies)
        fake.script_fn(lambda _request: next(endless))
    else:
        fake.script(*replies)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(fake.start(), flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    sys.exit(0)
