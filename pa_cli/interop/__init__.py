"""pa for other clients: an MCP server, an OpenAI-compatible endpoint, skills."""
