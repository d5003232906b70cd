"""The exact HTTP request a thinking step would send, without sending it (BAML's ``stream_request``).

Used to measure the prompt (``benchmarks/bench_prompt.py``) and to record real models'
replies to pa's own prompts (``benchmarks/record_replies.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pa_cli.agent.llm_registry import build_registry, client_spec
from pa_cli.agent.llm_turn import turn_input

if TYPE_CHECKING:
    from pa_cli.agent.llm_types import TurnContext
    from pa_cli.config import Settings


async def thinking_request(settings: Settings, ctx: TurnContext) -> dict[str, Any]:
    """The JSON body of the PersonalAssistantThinking request for ``ctx`` under ``settings``."""
    from pa_cli.agent.llm import load_baml
    from pa_cli.agent.llm_catalog import catalog_for

    baml = load_baml()
    spec = client_spec(settings, "-")
    catalog = catalog_for(baml, ctx.tools)
    request = await baml.b.stream_request.PersonalAssistantThinking(
        turn=turn_input(baml.types, ctx, None),
        baml_options={"tb": catalog.thinking_builder, "client_registry": build_registry(spec, "thinking")},
    )
    body: dict[str, Any] = request.body.json()
    return body


def prompt_text(body: dict[str, Any]) -> str:
    """Every message's text in an OpenAI-style request body, joined by blank lines."""
    parts: list[str] = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            content = "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        parts.append(str(content or ""))
    return "\n\n".join(parts)
