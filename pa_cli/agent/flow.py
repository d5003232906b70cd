"""The agent's graph, wired in one place: think -> (tools -> think)* -> answer."""

from __future__ import annotations

from pocketflow import AsyncFlow

from pa_cli.agent.nodes import (
    ANSWER,
    FINISH,
    LIMIT,
    RESPOND,
    SUSPEND,
    THINK,
    TOOLS,
    FinishNode,
    RespondNode,
    SuspendNode,
    ThinkNode,
    ToolsNode,
)


def build_flow() -> AsyncFlow:
    """A stateless flow: safe to share between concurrent turns (all state is in TurnState)."""
    think, tools, respond, finish, suspend = (
        ThinkNode(),
        ToolsNode(),
        RespondNode(),
        FinishNode(),
        SuspendNode(),
    )
    think - TOOLS >> tools
    think - ANSWER >> finish
    think - RESPOND >> respond
    think - LIMIT >> respond
    tools - THINK >> think
    tools - SUSPEND >> suspend
    respond - FINISH >> finish
    return AsyncFlow(start=think)
