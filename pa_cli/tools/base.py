"""The Tool protocol: what every tool (built-in, Google, plugin, MCP) provides.

A tool has a contract ``name``, a ``description``, a pydantic arguments model
(its JSON schema is what the LLM sees), ``side_effect`` (needs the user's
approval) and ``requires`` (OAuth scopes). ``run`` returns a ``ToolResult``:
data, never instructions; ``untrusted`` marks content from outside (mail
bodies, event text, MCP output) so the agent quotes it as such.
"""

from __future__ import annotations

import copy
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator

from pa_cli.errors import ToolError as ToolError  # its home is errors (google raises it too)

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.store import Store

TOOL_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ToolArgs(BaseModel):
    """Base for argument models: unknown arguments and text that is not valid Unicode are errors."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _valid_unicode(self) -> Self:
        for name in type(self).model_fields:
            if has_invalid_unicode(getattr(self, name)):
                raise ValueError(
                    f"{name} contains invalid Unicode (a lone surrogate such as \\ud800): "
                    "send text as valid UTF-8"
                )
        return self


def has_invalid_unicode(value: Any) -> bool:
    """True when a string in ``value`` (or nested in it) cannot be encoded as UTF-8 (lone surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, BaseModel):
        return any(has_invalid_unicode(getattr(value, n)) for n in type(value).model_fields)
    if isinstance(value, dict):
        return any(has_invalid_unicode(k) or has_invalid_unicode(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_invalid_unicode(v) for v in value)
    return False


class NoArgs(ToolArgs):
    pass


class ToolResult(BaseModel):
    ok: bool = True
    content: Any = None
    summary: str = ""
    resource_ids: list[str] = []
    untrusted: bool = False
    #: Why the content is untrusted, for the user ("this session read mail from mallory@evil.example").
    taint: str | None = None


@dataclass
class PreparedCall:
    """What a side effect will do, resolved once when it is previewed; an approval runs exactly this."""

    preview: str
    #: The resolved request (JSON-serialisable), stored with the approval and handed back to run_prepared.
    frozen: dict[str, Any] | None = None


#: Called before a tool runs (e.g. the server's per-device limit); raise ToolError to refuse the call.
ToolGuard = Callable[["Tool", "ToolContext"], None]


@dataclass
class ToolContext:
    settings: Settings
    store: Store
    user_id: int
    session_id: str | None = None
    #: The turn the call belongs to (None for direct runs: `pa tools run`).
    turn_id: str | None = None
    frontend: str = "cli"
    client_id: str | None = None
    guard: ToolGuard | None = None
    #: Why untrusted content is in the model's context now (empty: none is); files written inherit it.
    taint: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@cache
def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    # pydantic rebuilds the schema on every call (about 1 ms a tool); a model never changes.
    return model.model_json_schema()


class Tool(ABC):
    """Subclass and set the class attributes; implement ``run`` (and ``preview`` for side effects)."""

    name: ClassVar[str]
    description: ClassVar[str]
    args_model: ClassVar[type[BaseModel]] = NoArgs
    side_effect: ClassVar[bool] = False
    requires: ClassVar[tuple[str, ...]] = ()
    #: The Google service (``"gmail"``/``"calendar"``) whose authorization this tool needs.
    service: ClassVar[str | None] = None
    #: Output comes from outside the user's control (mail, events, MCP): treat as untrusted data.
    untrusted_output: ClassVar[bool] = False
    #: Runs unasked in a clean context, but waits for approval while untrusted content is in it
    #: (``memory_save``: a fact the user said is kept at once; one an injected mail suggests is asked).
    asks_when_untrusted: ClassVar[bool] = False

    @abstractmethod
    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        """Do the work; return data (never instructions). Raise ToolError for failures the LLM should see."""

    async def preview(self, args: Any, ctx: ToolContext) -> str:
        """What a person checks before approving: the exact effect, in plain words."""
        return f"{self.name}({args.model_dump_json() if isinstance(args, BaseModel) else args})"

    async def prepare(self, args: Any, ctx: ToolContext) -> PreparedCall:
        """Resolve the call once: the preview a person approves and the request that will run."""
        return PreparedCall(preview=await self.preview(args, ctx))

    async def run_prepared(self, args: Any, frozen: dict[str, Any] | None, ctx: ToolContext) -> ToolResult:
        """Run exactly what ``prepare`` resolved; raise ToolError when the world changed since."""
        return await self.run(args, ctx)

    def json_schema(self) -> dict[str, Any]:
        return copy.deepcopy(_schema_of(self.args_model))
