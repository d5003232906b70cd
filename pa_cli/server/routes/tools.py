"""GET .../tools and POST .../tools/{tool_name}/authorize."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from pa_cli.server.errors import ApiError, error_responses
from pa_cli.server.routes.oauth import begin_authorization
from pa_cli.server.runtime import Client, Runtime, reject_unknown_query
from pa_cli.server.schemas import TOOL_NAME_PATTERN, AuthorizeResponse, ToolInfo, ToolsResponse

router = APIRouter(
    prefix="/api/v1/personal-assistant", tags=["tools"], dependencies=[Depends(reject_unknown_query)]
)


@router.get(
    "/tools",
    response_model=ToolsResponse,
    responses=error_responses(401, 422, 503),
    summary="The tools on offer, and whether each can run now",
)
async def list_tools(client: Client, runtime: Runtime) -> Response:
    from pa_cli.agent.catalog import tool_availability

    registered = runtime.registry.all()
    availability = tool_availability(registered, runtime.settings, runtime.store, client.user_id)
    tools = []
    for tool in registered:
        authorized, note = availability[tool.name]
        tools.append(
            ToolInfo(
                name=tool.name,
                description=tool.description,
                json_schema=tool.json_schema(),
                authorized=authorized,
                side_effect=tool.side_effect,
                note=note,
            )
        )
    return Response(ToolsResponse(tools=tools).model_dump_json(by_alias=True), media_type="application/json")


@router.post(
    "/tools/{tool_name}/authorize",
    response_model=AuthorizeResponse,
    responses=error_responses(400, 401, 403, 404, 422, 429, 503),
    summary="Start authorizing the Google service a tool needs; open auth_url in a browser",
)
def authorize_tool(
    tool_name: Annotated[str, Path(pattern=TOOL_NAME_PATTERN)],
    request: Request,
    client: Client,
    runtime: Runtime,
) -> AuthorizeResponse:
    tool = runtime.registry.get(tool_name)
    if tool.service is None:
        raise ApiError(400, "no_authorization_needed", f"{tool_name} needs no authorization")
    return begin_authorization(runtime, client, tool.service, request)
