"""A scripted LLM server on loopback, for tests and benchmarks.

It speaks just enough of two wire protocols for BAML's clients to accept its replies:

- OpenAI chat completions: ``POST .../chat/completions`` (any prefix, so ``/v1/chat/completions``
  too), plain JSON or SSE when the body says ``"stream": true`` (a usage chunk only when
  ``stream_options.include_usage`` is true, as the real API does), ending with ``data: [DONE]``.
- Gemini: ``POST .../models/{model}:generateContent`` and ``...:streamGenerateContent?alt=sse``
  (any prefix, so both ``/v1beta/models/...`` and ``/models/...``); every stream chunk carries
  ``usageMetadata`` because BAML's google-ai client drops chunks without it.

Plus ``GET /health``. Replies come from a FIFO script of :class:`Reply` objects (or callables),
then from an optional responder function, then from a default reply (HTTP 500 "fake LLM script
exhausted", so a test that under-scripts notices). Every request is recorded.

The server is raw asyncio HTTP/1.1 on its own event loop in a daemon thread: it starts in a few
milliseconds, and it can drop a connection mid-stream (``transport.abort()``) without any noise.

BAML's *sync* streaming client (``b.stream.F(...)`` from ``sync_client``, iterated) holds the GIL
while it waits for the network, which freezes every other Python thread, this server's included:
in-process, stream through the async client (as the agent does) or run the fake standalone.

Standalone: ``python -m pa_cli.testing.fake_llm --port 0 --script replies.json [--cycle]`` prints
its base URL on the first line and serves until interrupted.
"""

from pa_cli.testing.fake_llm.cli import load_script, main
from pa_cli.testing.fake_llm.script import SCRIPT_EXHAUSTED, Protocol, RecordedRequest, Reply, Responder
from pa_cli.testing.fake_llm.server import FakeLLM

__all__ = [
    "SCRIPT_EXHAUSTED",
    "FakeLLM",
    "Protocol",
    "RecordedRequest",
    "Reply",
    "Responder",
    "load_script",
    "main",
]
