"""The names of pa's settings, without importing the settings machinery.

Shell completion (`pa config get <TAB>`) reads these on every key press, so
this module imports nothing; a test checks it against ``Settings`` itself.
"""

from __future__ import annotations

from typing import Final

#: Every dotted key of config.toml (``tools.policy.<tool>`` keys come on top of these).
CONFIG_KEYS: Final = (
    "database.url",
    "llm.provider",
    "llm.model",
    "llm.base_url",
    "llm.api_key",
    "llm.requests_per_minute",
    "llm.max_retries",
    "llm.timeout_seconds",
    "llm.connect_timeout_seconds",
    "llm.first_byte_timeout_seconds",
    "llm.idle_timeout_seconds",
    "llm.max_tokens_thinking",
    "llm.max_tokens_response",
    "google.client_secrets",
    "google.api_endpoint",
    "google.revoke_uri",
    "server.host",
    "server.port",
    "server.cors_origins",
    "server.token_ttl_days",
    "server.header_timeout_seconds",
    "user.timezone",
    "agent.max_steps",
    "tools.mcp_servers",
    "gmail.mode",
    "gmail.undo_seconds",
    "gmail.attachment_max_bytes",
    "calendar.calendars",
    "calendar.work_start",
    "calendar.work_end",
    "calendar.work_days",
    "approvals.expire_hours",
    "routines.run_in_server",
    "routines.tick_seconds",
    "memory.enabled",
    "memory.recall_limit",
)

#: Environment variables of the contract, mapped to dotted keys (they override config.toml).
ENV_KEYS: Final = {
    "PA_DATABASE_URL": "database.url",
    "PA_LLM_PROVIDER": "llm.provider",
    "PA_LLM_MODEL": "llm.model",
    "PA_LLM_BASE_URL": "llm.base_url",
    "PA_GOOGLE_CLIENT_SECRETS": "google.client_secrets",
    "PA_GOOGLE_API_ENDPOINT": "google.api_endpoint",
    "PA_GOOGLE_REVOKE_URI": "google.revoke_uri",
    "PA_SERVER_HOST": "server.host",
    "PA_SERVER_PORT": "server.port",
    "PA_ROUTINES_TICK_SECONDS": "routines.tick_seconds",
}


#: The provider's own API-key variable, read when PA_LLM_API_KEY is not set.
PROVIDER_KEY_ENV: Final[dict[str, str]] = {
    "gemini": "GEMINI_API_KEY",
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
}
#: Where ``pa config set-secret llm.api_key`` keeps the key in the secret store.
KEYRING_NAME: Final = "llm.api_key"
#: Providers that work without a key (a local server).
KEYLESS_PROVIDERS: Final = frozenset({"ollama", "openai-generic"})
