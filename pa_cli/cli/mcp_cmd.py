"""`pa mcp`: pa's tools, with pa's policies and approvals, as an MCP server on stdio."""

from __future__ import annotations

from pa_cli.cli import runtime


def mcp() -> None:
    """Serve pa's tools over MCP on stdin/stdout (for Claude Desktop, Claude Code, ...).

    Side effects ask through the client (MCP elicitation) when it can; otherwise they
    wait for `pa approve ID`, like any other pending approval.
    """
    import asyncio

    from pa_cli.interop.mcp_server import MCPBinding, serve_stdio
    from pa_cli.store import open_store
    from pa_cli.tools.registry import ToolRegistry

    settings = runtime.load()
    store = open_store(settings)

    async def main() -> None:
        registry = await ToolRegistry.aload(settings)
        binding = MCPBinding(settings, store, registry, store.users.local_user().id)
        await serve_stdio(binding)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return
