"""Choose the LLM client at run time from the settings (a BAML ``ClientRegistry``).

Provider, model, base URL and key come from ``settings.llm`` (and the key from the
environment or the keyring, passed in by the caller); the generated client is never
edited or regenerated for this. Everything here but ``build_registry`` is plain Python
so that it costs nothing at start-up and can be tested without BAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pa_cli.agent.llm_types import LLMError

if TYPE_CHECKING:
    from baml_py import ClientRegistry

    from pa_cli.config import Settings

CLIENT_NAME = "PaLLM"

#: settings.llm.provider -> BAML provider
BAML_PROVIDERS: dict[str, str] = {
    "gemini": "google-ai",
    "openai": "openai",
    "anthropic": "anthropic",
    "ollama": "ollama",
    "openai-generic": "openai-generic",
}
DEFAULT_BASE_URLS: dict[str, str] = {
    "gemini": "https://generativelanguage.googleapis.com/v1beta",
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "ollama": "http://localhost:11434/v1",
}
#: Finish reasons that mean "cut off by the token limit": the reply is incomplete.
LENGTH_FINISH_REASONS: dict[str, list[str]] = {
    "gemini": ["MAX_TOKENS"],
    "openai": ["length"],
    "anthropic": ["max_tokens"],
    "ollama": ["length"],
    "openai-generic": ["length"],
}
#: The two output budgets: "thinking" (PersonalAssistantThinking, Planning and ToolCall,
#: structured replies) and "response" (PersonalAssistantResponse, a plain-text answer).
Budget = Literal["thinking", "response"]


def max_tokens_options(provider: str, limit: int) -> dict[str, Any]:
    """The provider's own spelling of an output token limit, sent on every request."""
    if provider == "gemini":
        return {"generationConfig": {"maxOutputTokens": limit}}
    if provider == "openai":
        return {"max_completion_tokens": limit}  # newer OpenAI models refuse max_tokens
    return {"max_tokens": limit}  # anthropic, ollama, openai-generic (llama.cpp, vLLM, ...)


@dataclass(frozen=True)
class ClientSpec:
    """Everything needed to build the registry; ``problem`` is a config error to raise on use."""

    provider: str
    baml_provider: str
    model: str
    base_url: str | None
    timeout_seconds: float
    options: dict[str, Any] = field(repr=False)  # holds the API key: never log it
    #: Output token limits per budget (see ``Budget``).
    max_tokens: dict[str, int] = field(default_factory=dict)
    problem: str | None = None
    hint: str | None = None
    #: Why there is no API key (missing everywhere, or a locked secret store): raised on use.
    key_problem: LLMError | None = None

    @property
    def endpoint(self) -> str:
        """What the process-wide rate limit is shared by."""
        return f"{self.provider} {self.url}"

    @property
    def url(self) -> str:
        """The base URL requests go to (configured, or the provider's default)."""
        return self.base_url or DEFAULT_BASE_URLS.get(self.provider, "")

    @property
    def url_source(self) -> str:
        """How to name the URL to a user: the setting it came from, or the provider's default."""
        return "llm.base_url" if self.base_url else f"the {self.provider} provider's default URL"

    def check(self) -> None:
        if self.problem:
            raise LLMError("config", self.problem, hint=self.hint)
        if self.key_problem is not None:
            raise self.key_problem


def client_spec(
    settings: Settings, api_key: str | None = None, key_problem: LLMError | None = None
) -> ClientSpec:
    """``key_problem`` (from ``llm_keys.lookup_api_key``) says why there is no key, if it knows."""
    from pa_cli.agent.llm_keys import missing_key_error
    from pa_cli.config_keys import PROVIDER_KEY_ENV

    llm = settings.llm
    provider = llm.provider
    key = api_key or (llm.api_key.get_secret_value() if llm.api_key else None)
    options: dict[str, Any] = {
        "model": llm.effective_model,
    }
    base_url = llm.base_url.rstrip("/") if llm.base_url else None
    if base_url:
        options["base_url"] = base_url
    elif provider == "ollama":
        options["base_url"] = DEFAULT_BASE_URLS["ollama"]
    if key:
        options["api_key"] = key
    if provider == "openai-generic":
        # openai-generic does not ask for token usage on streams unless told to.
        options["stream_options"] = {"include_usage": True}
    problem = hint = None
    if provider == "openai-generic" and not base_url:
        problem = "llm.base_url is required for the openai-generic provider"
        hint = "set it with `pa config set llm.base_url http://host:port/v1` or PA_LLM_BASE_URL"
    elif provider in PROVIDER_KEY_ENV and not key:
        key_problem = key_problem or missing_key_error(provider, PROVIDER_KEY_ENV[provider])
    else:
        key_problem = None
    return ClientSpec(
        provider=provider,
        baml_provider=BAML_PROVIDERS[provider],
        model=llm.effective_model,
        base_url=base_url,
        timeout_seconds=llm.timeout_seconds,
        options=options,
        max_tokens={"thinking": llm.max_tokens_thinking, "response": llm.max_tokens_response},
        problem=problem,
        hint=hint,
        key_problem=key_problem,
    )


def client_options(spec: ClientSpec, budget: Budget = "response") -> dict[str, Any]:
    """The client's options, with the output token limit of ``budget`` when given."""
    options = dict(spec.options)
    if budget in spec.max_tokens:
        options.update(max_tokens_options(spec.provider, spec.max_tokens[budget]))
    return options


def build_registry(spec: ClientSpec, budget: Budget = "response") -> ClientRegistry:
    """A registry whose primary client is the configured one, limited to ``budget``'s output tokens."""
    from baml_py import ClientRegistry

    registry = ClientRegistry()
    registry.add_llm_client(CLIENT_NAME, spec.baml_provider, client_options(spec, budget))
    registry.set_primary(CLIENT_NAME)
    return registry
