"""The agent's LLM calls: the four BAML functions behind one small, typed facade.

``AssistantLLM`` streams every call (so a plain question is one request whose answer
arrives as deltas): BAML renders the request and parses the reply (its modular API),
``llm_http`` sends it and reads every byte. It owns the fault handling around it:

- a process-wide token bucket (``llm.requests_per_minute``) before each request;
- retries with exponential backoff and jitter on 429, 5xx, timeouts and dropped
  streams, at most ``llm.max_retries`` of them, then one clear ``LLMError``;
- a reply that does not parse is asked for once more with the parse error fed back,
  then reported as ``bad_output``;
- text already streamed to the user is never streamed twice: after a retry only what
  extends it is emitted, and a retry that says something else is shown after a visible
  break (``llm_answer.AnswerStream``).

Prompts hold mail bodies: nothing of them is logged, unless ``PA_DEBUG=1`` (then the
request body and the reply go to stderr, and BAML's own logging stays on). The generated
client is imported lazily (it costs ~170 ms).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pa_cli.agent import request_ahead
from pa_cli.agent.baml_load import load_baml
from pa_cli.agent.llm_answer import RESTARTED, AnswerStream, Delta, length_note
from pa_cli.agent.llm_faults import (
    RETRY_BASE,
    RETRY_CAP,
    CutByLength,
    Retry,
    Transient,
    backoff_delay,
    parse_feedback,
)
from pa_cli.agent.llm_http import Rendered
from pa_cli.agent.llm_registry import LENGTH_FINISH_REASONS, Budget, ClientSpec, build_registry, client_spec
from pa_cli.agent.llm_send import give_up, send_watched
from pa_cli.agent.llm_sse import Reply
from pa_cli.agent.llm_turn import extract_json, tool_info, turn_input
from pa_cli.agent.llm_types import (
    HistoryItem,
    LLMError,
    MemoryNote,
    ProposedCall,
    Thinking,
    ToolOutcome,
    ToolSpec,
    TurnContext,
    Usage,
)
from pa_cli.agent.llm_wait import Timeouts
from pa_cli.agent.rate_limit import TokenBucket, shared_bucket

if TYPE_CHECKING:
    from pa_cli.config import Settings

__all__ = [
    "RESTARTED",
    "AnswerStream",
    "AssistantLLM",
    "HistoryItem",
    "LLMError",
    "MemoryNote",
    "ProposedCall",
    "Thinking",
    "ToolOutcome",
    "ToolSpec",
    "TurnContext",
    "Usage",
    "load_baml",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
#: A BAML function's name and its arguments, for ``b.stream_request`` / ``b.parse``.
Call = tuple[str, dict[str, Any]]
#: Told before each retry sleep: the reason (one short phrase) and the seconds until the next attempt.
OnWait = Callable[[str, float], Awaitable[None]]


class AssistantLLM:
    """The agent's four LLM functions for one provider configuration."""

    def __init__(
        self,
        settings: Settings,
        *,
        api_key: str | None = None,
        retry_base_delay: float = 1.0,
        rate_limiter: TokenBucket | None = None,
        sleep: Sleep = asyncio.sleep,
        key_problem: LLMError | None = None,
        on_wait: OnWait | None = None,
    ) -> None:
        """``key_problem`` says why ``api_key`` is None (see ``llm_keys.lookup_api_key``)."""
        self.spec: ClientSpec = client_spec(settings, api_key, key_problem)
        self._settings = settings
        self.on_wait = on_wait
        self.max_retries = settings.llm.max_retries
        self.retry_base_delay = retry_base_delay
        self.usage = Usage()
        self._bucket = rate_limiter or shared_bucket(self.spec.endpoint, settings.llm.requests_per_minute)
        self._sleep = sleep
        self._registries: dict[str, Any] = {}
        self.timeouts = Timeouts(
            connect=settings.llm.connect_timeout_seconds,
            first_byte=settings.llm.first_byte_timeout,
            idle=settings.llm.idle_timeout,
        )
        #: Set when an answer of this turn was cut off by the length limit (Done.incomplete).
        self.truncated = False

    # ------------------------------------------------------------------ the four functions

    async def think(
        self,
        ctx: TurnContext,
        on_answer_delta: Delta | None = None,
        on_tool_calls: Callable[[], None] | None = None,
    ) -> Thinking:
        """PersonalAssistantThinking, streamed: the answer's text goes to ``on_answer_delta`` as it grows;
        ``on_tool_calls`` is called once, as soon as the reply shows it calls a tool.

        A reply whose tool calls cannot be read is asked for once more, naming what was wrong;
        a reply cut by the length limit is asked for again briefly, unless part of its answer
        was already shown (then that part is kept and marked as cut off).
        """
        from pa_cli.agent.llm_calls import call_problem, loose_object, normalise_calls

        baml = self._baml()
        catalog = self._catalog(baml, ctx.tools)
        answer = AnswerStream(on_answer_delta, json_escapes=True)
        known = {spec.name for spec in ctx.tools}

        async def on_partial(partial: Any) -> None:
            nonlocal on_tool_calls
            calls = getattr(partial, "tool_calls", None)
            if calls and on_tool_calls is not None:
                coming, on_tool_calls = on_tool_calls, None
                coming()
            text = getattr(partial, "answer", None)
            if isinstance(text, str) and not calls:
                await answer.offer(text)

        def start(options: dict[str, Any], feedback: str | None) -> Call:
            options["tb"] = catalog.thinking_builder
            return "PersonalAssistantThinking", {"turn": turn_input(baml.types, ctx, feedback)}

        def check(final: Any, raw_text: str | None) -> Thinking:
            parsed = final if isinstance(final, dict) else final.model_dump()
            raw = normalise_calls(extract_json(raw_text) or loose_object(raw_text))
            calls = catalog.calls_from(parsed, raw)
            problem = call_problem(raw_text, raw, calls, known)
            if problem is not None:
                raise Retry(
                    f"its tool call could not be read: {problem}. Write each call as "
                    '{"tool": "<name>", "arguments": {...}} inside "tool_calls", in valid JSON',
                    user_message=f"the model could not form a valid tool call ({problem})",
                )
            text = parsed.get("answer")
            text = text if isinstance(text, str) else None
            return Thinking(thought=str(parsed.get("thought") or ""), tool_calls=calls, answer=text)

        try:
            thinking: Thinking = await self._call(
                "think",
                start,
                on_partial,
                "thinking",
                check=check,
                salvage=loose_object,
                shown=lambda: bool(answer.sent),
                partial_tb=catalog.partial_builder,
            )
        except CutByLength:
            self.truncated = True
            limit = self.spec.max_tokens.get("thinking", 0)
            text = await answer.cut(length_note("llm.max_tokens_thinking", limit))
            return Thinking(thought="", tool_calls=[], answer=text, truncated=True)
        if thinking.answer is not None and not thinking.tool_calls:
            thinking = dataclasses.replace(thinking, answer=await answer.finish(thinking.answer))
        return thinking

    async def respond(self, ctx: TurnContext, on_delta: Delta) -> str:
        """PersonalAssistantResponse: the final answer as plain text, streamed to ``on_delta``.

        Cut by the length limit once text was shown, the answer is kept and marked as cut off.
        """
        baml = self._baml()
        answer = AnswerStream(on_delta, json_escapes=False)

        async def on_partial(partial: Any) -> None:
            if isinstance(partial, str):
                await answer.offer(partial)

        def start(options: dict[str, Any], feedback: str | None) -> Call:
            return "PersonalAssistantResponse", {"turn": turn_input(baml.types, ctx, feedback)}

        try:
            final = await self._call(
                "respond", start, on_partial, "response", shown=lambda: bool(answer.sent)
            )
        except CutByLength:
            self.truncated = True
            limit = self.spec.max_tokens.get("response", 0)
            return await answer.cut(length_note("llm.max_tokens_response", limit))
        text = final if isinstance(final, str) else str(final or "")
        return await answer.finish(text)

    async def plan(self, ctx: TurnContext) -> list[str]:
        """PersonalAssistantPlanning: the request broken into ordered steps."""
        baml = self._baml()

        def start(options: dict[str, Any], feedback: str | None) -> Call:
            return "PersonalAssistantPlanning", {"turn": turn_input(baml.types, ctx, feedback)}

        final = await self._call("plan", start, None, "thinking")
        return [step.strip() for step in final.steps if isinstance(step, str) and step.strip()]

    async def fill_tool_arguments(
        self, ctx: TurnContext, tool: ToolSpec, previous: dict[str, Any], error: str
    ) -> dict[str, Any]:
        """PersonalAssistantToolCall: ``tool``'s arguments again, after ``error`` rejected ``previous``."""
        baml = self._baml()
        catalog = self._catalog(baml, [dataclasses.replace(tool, available=True)])
        builder = catalog.arguments_builder(tool.name)
        info = tool_info(baml.types, tool)

        def start(options: dict[str, Any], feedback: str | None) -> Call:
            if builder is not None:
                options["tb"] = builder
            return "PersonalAssistantToolCall", {
                "turn": turn_input(baml.types, ctx, feedback),
                "tool": info,
                "previous_arguments": json.dumps(previous, ensure_ascii=False, default=str),
                "error": error[:2000],
            }

        def check(final: Any, raw_text: str | None) -> dict[str, Any]:
            raw = extract_json(raw_text)
            arguments: dict[str, Any] = catalog.from_parsed(tool.name, final.model_dump(), raw)
            return arguments

        arguments: dict[str, Any] = await self._call(
            "fill_tool_arguments", start, None, "thinking", check=check
        )
        return arguments

    # ------------------------------------------------------------------ machinery

    def _baml(self) -> Any:
        self.spec.check()
        return load_baml()

    def _registry_for(self, budget: Budget) -> Any:
        """One client registry per output budget (max_tokens differs), built on first use."""
        registry = self._registries.get(budget)
        if registry is None:
            registry = self._registries[budget] = build_registry(self.spec, budget)
        return registry

    def _catalog(self, baml: Any, tools: list[ToolSpec]) -> Any:
        from pa_cli.agent.llm_catalog import catalog_for

        try:
            return catalog_for(baml, tools)
        except Exception as exc:
            log.debug("building BAML types for the tools failed: %s", type(exc).__name__)
            raise LLMError("config", "the tools' argument schemas could not be given to the LLM") from None

    async def _call(
        self,
        what: str,
        start: Callable[[dict[str, Any], str | None], Call],
        on_partial: Callable[[Any], Awaitable[None]] | None,
        budget: Budget,
        *,
        check: Callable[[Any, str | None], Any] | None = None,
        salvage: Callable[[str | None], Any] | None = None,
        shown: Callable[[], bool] = lambda: False,
        partial_tb: Any = None,
    ) -> Any:
        """Run one streamed BAML function with rate limiting, retries and one re-ask on bad output.

        ``check(final, raw_text)`` turns the parsed reply into the result, or raises ``Retry``
        (one re-ask with its feedback). ``salvage(raw_text)`` may rescue a reply BAML could not
        parse. A reply cut by the length limit is re-asked briefly once, unless ``shown()``
        says part of it already reached the user: then ``CutByLength`` goes to the caller.
        ``partial_tb`` replaces the type builder for partial parses (``ToolCatalog.partial_builder``).
        """
        failures = 0
        feedback: str | None = None
        parse_retried = length_retried = False
        while True:
            try:
                final, raw = await self._attempt(start, on_partial, feedback, budget, salvage, partial_tb)
                return check(final, raw) if check is not None else final
            except Retry as retry:
                if parse_retried:
                    raise LLMError(
                        "bad_output",
                        retry.user_message
                        or "the LLM's reply could not be understood, even after asking again",
                        hint="try again, or a different llm.model",
                    ) from None
                log.debug("%s: reply could not be used, asking again", what)
                parse_retried = True
                feedback = retry.feedback
            except CutByLength:
                if shown():
                    raise
                setting = f"llm.max_tokens_{budget}"
                limit = self.spec.max_tokens.get(budget, 0)
                if length_retried:
                    raise LLMError(
                        "bad_output",
                        f"the LLM's reply was cut off at its length limit ({setting} = {limit} tokens), "
                        "even when asked to be brief",
                        hint=f"raise {setting}, or use a model that follows the format better",
                    ) from None
                log.debug("%s: reply cut off by the length limit, asking again briefly", what)
                length_retried = True
                feedback = (
                    f"it was cut off at the length limit of {limit} tokens; reply again much more briefly"
                )
            except Transient as fault:
                failures += 1
                if failures > min(self.max_retries, RETRY_CAP.get(fault.code, self.max_retries)):
                    raise give_up(self.spec, fault, failures) from None
                delay = backoff_delay(failures, RETRY_BASE.get(fault.code, self.retry_base_delay))
                if fault.retry_after is not None:
                    delay = max(delay, fault.retry_after)
                log.debug("%s: %s; retry %d in %.2fs", what, fault.what, failures, delay)
                if self.on_wait is not None:
                    await self.on_wait(fault.what, delay)
                await self._sleep(delay)

    async def _attempt(
        self,
        start: Callable[[dict[str, Any], str | None], Call],
        on_partial: Callable[[Any], Awaitable[None]] | None,
        feedback: str | None,
        budget: Budget,
        salvage: Callable[[str | None], Any] | None = None,
        partial_tb: Any = None,
    ) -> tuple[Any, str | None]:
        """One request: rendered by BAML, sent and read by ``llm_http``, parsed by BAML."""
        from baml_py import errors
        from baml_py.errors import BamlError

        baml = load_baml()
        options: dict[str, Any] = {"client_registry": self._registry_for(budget)}
        function, arguments = start(options, feedback)
        try:
            rendered = Rendered.from_baml(
                await getattr(baml.b.stream_request, function)(**arguments, baml_options=options)
            )
        except errors.BamlInvalidArgumentError:
            raise LLMError("config", f"the {self.spec.provider} client is misconfigured") from None
        ahead = request_ahead.adopt(function, rendered.method, rendered.url, rendered.headers, rendered.body)
        parse_partial = getattr(baml.b.parse_stream, function)
        parse = getattr(baml.b.parse, function)
        partial_options = options if partial_tb is None else {**options, "tb": partial_tb}

        async def show(text: str) -> None:
            try:
                partial = parse_partial(text, baml_options=partial_options)
            except BamlError:
                return  # not enough of it yet
            if on_partial is not None:
                await on_partial(partial)

        debug = os.environ.get("PA_DEBUG") == "1"
        if debug:  # prompts hold mail bodies: only when asked for (the headers, with the key, never)
            sys.stderr.write(
                f"[pa debug] LLM request {rendered!r}: {rendered.body.decode('utf-8', 'replace')}\n"
            )
        await self._bucket.acquire()
        reply = Reply()
        try:
            reply = await send_watched(
                rendered, self.spec, self.timeouts, show if on_partial is not None else None, ahead=ahead
            )
        finally:  # counted even when it failed; None when the server sent no usage: unknown, not zero
            self.usage.add(Usage(input_tokens=reply.input_tokens, output_tokens=reply.output_tokens, calls=1))
        if debug:
            sys.stderr.write(
                f"[pa debug] LLM reply ({reply.finish_reason or 'no finish reason'}): {reply.text}\n"
            )
        if not reply.finished:
            raise Transient("unavailable", "the stream ended before the reply was complete")
        await request_ahead.keep(
            self._settings, function, arguments, options, rendered, self.spec.options.get("api_key")
        )
        if reply.finish_reason in LENGTH_FINISH_REASONS.get(self.spec.provider, ()):
            raise CutByLength()
        text = reply.text
        try:
            return parse(text, baml_options=options), text
        except BamlError as exc:  # BAML's parser raises its base error for a reply it cannot read
            rescued = salvage(text) if salvage is not None else None
            if rescued is not None:
                return rescued, text
            raise Retry(parse_feedback(str(exc))) from None
