"""GET|PUT .../config: the user's system prompt, enabled tools and preferences."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from pa_cli.server.errors import ApiError, error_responses
from pa_cli.server.runtime import Client, Runtime, reject_unknown_query
from pa_cli.server.schemas import AgentConfigOut, AgentConfigUpdate

router = APIRouter(
    prefix="/api/v1/personal-assistant", tags=["config"], dependencies=[Depends(reject_unknown_query)]
)


def _out(config: Any) -> AgentConfigOut:
    return AgentConfigOut(
        system_prompt=config.system_prompt,
        enabled_tools=config.enabled_tools,
        preferences=dict(config.preferences or {}),
    )


@router.get(
    "/config",
    response_model=AgentConfigOut,
    responses=error_responses(401, 422, 503),
    summary="The agent config",
)
async def get_config(client: Client, runtime: Runtime) -> AgentConfigOut:
    return _out(runtime.store.agent_configs.get(client.user_id))


@router.put(
    "/config",
    response_model=AgentConfigOut,
    responses=error_responses(400, 401, 413, 422, 503),
    summary="Change the agent config (fields left out keep their value; null resets to the default)",
)
async def put_config(body: AgentConfigUpdate, client: Client, runtime: Runtime) -> AgentConfigOut:
    changes: dict[str, Any] = {}
    fields = body.model_fields_set
    if "system_prompt" in fields:
        prompt = body.system_prompt
        changes["system_prompt"] = prompt if prompt is None or prompt.strip() else None
    if "enabled_tools" in fields:
        known = set(runtime.registry.names())
        unknown = [name for name in body.enabled_tools or [] if name not in known]
        if unknown:
            raise ApiError(
                422, "invalid_request", f"enabled_tools: unknown tool(s): {', '.join(unknown[:10])}"
            )
        changes["enabled_tools"] = body.enabled_tools
    if "preferences" in fields:
        changes["preferences"] = body.preferences or {}
    config = runtime.store.agent_configs.update(client.user_id, **changes)
    return _out(config)
