"""The HTTP + SSE API (`pa serve`): FastAPI app factory, routers, auth, SSE encoding."""
