"""Prompt budget: the input tokens of the thinking prompt for "hello" with every built-in and Google tool.

The request is rendered exactly as pa would send it (BAML's ``stream_request``: no network),
with all built-in tools and the Gmail and Calendar tools as if authorized. Tokens are
counted by a real tokenizer when one is reachable: set ``PA_BENCH_TOKENIZE_URL`` to a
llama.cpp server's ``/tokenize`` endpoint (llama-cpp-python's server:
``http://127.0.0.1:PORT/extras/tokenize``; llama.cpp's own: ``http://127.0.0.1:PORT/tokenize``).
Otherwise the figure is an approximation, characters / 4 (stated in the output), which
for English prose with JSON over-counts GPT-style and SmolLM2 tokenizers by 0-15 %.
Target: at most 1,200 tokens.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import urllib.request
from datetime import UTC, datetime
from typing import Any

BUDGET_TOKENS = 1200
USER_MESSAGE = "hello"


def all_tool_specs() -> list[Any]:
    """Every built-in and Google tool, as the LLM is told about them when all are authorized."""
    from pa_cli.agent.llm_types import ToolSpec
    from pa_cli.tools.builtin.fs import TOOLS as FS_TOOLS
    from pa_cli.tools.builtin.memory import TOOLS as MEMORY_TOOLS
    from pa_cli.tools.builtin.plan import TOOLS as PLAN_TOOLS
    from pa_cli.tools.builtin.system_prompt import TOOLS as PROMPT_TOOLS
    from pa_cli.tools.google import google_tools

    specs = []
    for cls in [*PLAN_TOOLS, *FS_TOOLS, *PROMPT_TOOLS, *MEMORY_TOOLS, *google_tools()]:
        tool = cls()
        specs.append(
            ToolSpec(
                name=tool.name,
                description=tool.description,
                parameters=tool.json_schema(),
                side_effect=tool.side_effect,
                available=True,
            )
        )
    return specs


def hello_context(message: str = USER_MESSAGE) -> Any:
    from pa_cli.agent.context import DEFAULT_SYSTEM_PROMPT
    from pa_cli.agent.llm_types import TurnContext

    return TurnContext(
        system_prompt=DEFAULT_SYSTEM_PROMPT,
        now=datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
        timezone="Europe/Paris",
        tools=all_tool_specs(),
        history=[],
        plan=[],
        user_message=message,
    )


def local_settings() -> Any:
    from pydantic import SecretStr

    from pa_cli.config import LLMSettings, Settings

    return Settings(
        llm=LLMSettings(provider="openai-generic", base_url="http://127.0.0.1:9/v1", api_key=SecretStr("-"))
    )


def count_tokens(text: str) -> tuple[int, str]:
    """(tokens, how they were counted)."""
    url = os.environ.get("PA_BENCH_TOKENIZE_URL")
    if url:
        body = json.dumps({"content": text, "input": text}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            data = json.loads(response.read())
        tokens = data.get("tokens")
        if isinstance(tokens, list):
            return len(tokens), f"tokenizer at {url}"
    return math.ceil(len(text) / 4), "approximation: characters / 4"


def measure(message: str = USER_MESSAGE) -> dict[str, Any]:
    from pa_cli.agent.llm_render import prompt_text, thinking_request

    body = asyncio.run(thinking_request(local_settings(), hello_context(message)))
    text = prompt_text(body)
    tokens, method = count_tokens(text)
    return {
        "tools": len(hello_context().tools),
        "characters": len(text),
        "input_tokens": tokens,
        "counted_by": method,
    }


def run() -> dict[str, object]:
    figures = measure()
    figures["budget"] = BUDGET_TOKENS
    figures["within_budget"] = figures["input_tokens"] <= BUDGET_TOKENS
    print(
        f"   thinking prompt for {USER_MESSAGE!r} with {figures['tools']} tools: "
        f"{figures['characters']} characters, {figures['input_tokens']} input tokens "
        f"({figures['counted_by']}); budget {BUDGET_TOKENS}",
        flush=True,
    )
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
