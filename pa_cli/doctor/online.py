"""`pa doctor --online`: one tiny real request to the configured LLM, its latency or the named failure."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pa_cli.doctor.checks import Check

if TYPE_CHECKING:
    from pa_cli.config import Settings


async def check_online(settings: Settings) -> Check:
    from pa_cli.agent.llm import AssistantLLM, LLMError, TurnContext
    from pa_cli.agent.llm_keys import lookup_api_key

    # No retries: the point is to see the failure, named, now.
    quick = settings.model_copy(update={"llm": settings.llm.model_copy(update={"max_retries": 0})})
    found = lookup_api_key(quick)
    llm = AssistantLLM(quick, api_key=found.key, key_problem=found.problem)
    ctx = TurnContext(
        system_prompt="This is a connectivity check. Reply with the single word: ok",
        now=datetime.now(UTC),
        timezone="UTC",
        tools=[],
        history=[],
        plan=[],
        user_message="ping",
    )

    async def ignore(_: str) -> None:
        return None

    started = time.monotonic()
    try:
        await llm.respond(ctx, on_delta=ignore)
    except LLMError as exc:
        return Check("llm.online", False, exc.message, exc.hint, essential=True)
    elapsed_ms = (time.monotonic() - started) * 1000
    usage = llm.usage
    tokens = (
        f", {(usage.input_tokens or 0) + (usage.output_tokens or 0)} tokens" if usage.input_tokens else ""
    )
    return Check("llm.online", True, f"{llm.spec.url} answered in {elapsed_ms:.0f} ms{tokens}")
