"""The server tests' live `pa serve` and scripted LLM, for the interop tests that need them."""

from tests.server.conftest import _shared_llm, _shared_server, fake_llm, server

__all__ = ["_shared_llm", "_shared_server", "fake_llm", "server"]
