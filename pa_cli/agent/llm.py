"""The agent's LLM calls: the four BAML functions behind one small, typed facade.

``AssistantLLM`` streams every call (so a plain question is one request whose answer
arrives as deltas), and owns the fault handling around it:

- a process-wide token bucket (``llm.requests_per_minute``) before each request;
- retries with exponential backoff and jitter on 429, 5xx, timeouts and dropped
  streams, at most ``llm.max_retries`` of them, then one clear ``LLMError``;
- a reply that does not parse is asked for once more with the parse error fed back,
  then reported as ``bad_output``;
- text already streamed to the user is never streamed twice: after a retry only what
  extends it is emitted, and a retry that says something else is shown after a visible
  break (``llm_answer.AnswerStream``).

BAML logs every prompt and reply to stderr by default, and prompts hold mail bodies:
the generated client is imported lazily (it costs ~170 ms) with logging switched off,
unless ``PA_DEBUG=1``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pa_cli.agent.baml_stream import drive
from pa_cli.agent.llm_answer import RESTARTED, AnswerStream, Delta, length_note
from pa_cli.agent.llm_faults import (
    RETRY_BASE,
    RETRY_CAP,
    CutByLength,
    Retry,
    Transient,
    backoff_delay,
    classify_http,
    last_response,
    parse_feedback,
    raw_text,
    retry_after_seconds,
    stream_finished,
)
from pa_cli.agent.llm_probe import probe
from pa_cli.agent.llm_registry import Budget, ClientSpec, build_registry, client_spec
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
from pa_cli.agent.llm_wait import (
    PROBE_TIMEOUT_SECONDS,
    StreamWatch,
    Timeouts,
    connection_fault,
    unreachable_error,
)
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
#: Told before each retry sleep: the reason (one short phrase) and the seconds until the next attempt.
OnWait = Callable[[str, float], Awaitable[None]]


def load_baml() -> Any:
    """Import the generated client with BAML's logging off (unless PA_DEBUG=1)."""
    debug = os.environ.get("PA_DEBUG") == "1"
    if not debug:
        os.environ["BAML_LOG"] = "off"  # read when baml_py loads
    from baml_py.logging import set_log_level

    from pa_cli import baml_client

    if not debug:
        set_log_level("OFF")  # in case baml_py was loaded before
    return baml_client


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

    async def think(self, ctx: TurnContext, on_answer_delta: Delta | None = None) -> Thinking:
        """PersonalAssistantThinking, streamed: the answer's text goes to ``on_answer_delta`` as it grows.

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
            text = getattr(partial, "answer", None)
            if isinstance(text, str) and not getattr(partial, "tool_calls", None):
                await answer.offer(text)

        def start(options: dict[str, Any], feedback: str | None) -> Any:
            options["tb"] = catalog.thinking_builder
            return baml.b.stream.PersonalAssistantThinking(
                turn=turn_input(baml.types, ctx, feedback), baml_options=options
            )

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

        def start(options: dict[str, Any], feedback: str | None) -> Any:
            return baml.b.stream.PersonalAssistantResponse(
                turn=turn_input(baml.types, ctx, feedback), baml_options=options
            )

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

        def start(options: dict[str, Any], feedback: str | None) -> Any:
            return baml.b.stream.PersonalAssistantPlanning(
                turn=turn_input(baml.types, ctx, feedback), baml_options=options
            )

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

        def start(options: dict[str, Any], feedback: str | None) -> Any:
            if builder is not None:
                options["tb"] = builder
            return baml.b.stream.PersonalAssistantToolCall(
                turn=turn_input(baml.types, ctx, feedback),
                tool=info,
                previous_arguments=json.dumps(previous, ensure_ascii=False, default=str),
                error=error[:2000],
                baml_options=options,
            )

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
        start: Callable[[dict[str, Any], str | None], Any],
        on_partial: Callable[[Any], Awaitable[None]] | None,
        budget: Budget,
        *,
        check: Callable[[Any, str | None], Any] | None = None,
        salvage: Callable[[str | None], Any] | None = None,
        shown: Callable[[], bool] = lambda: False,
    ) -> Any:
        """Run one streamed BAML function with rate limiting, retries and one re-ask on bad output.

        ``check(final, raw_text)`` turns the parsed reply into the result, or raises ``Retry``
        (one re-ask with its feedback). ``salvage(raw_text)`` may rescue a reply BAML could not
        parse. A reply cut by the length limit is re-asked briefly once, unless ``shown()``
        says part of it already reached the user: then ``CutByLength`` goes to the caller.
        """
        failures = 0
        feedback: str | None = None
        parse_retried = length_retried = False
        while True:
            try:
                final, raw = await self._attempt(start, on_partial, feedback, budget, salvage)
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
                    raise self._give_up(fault, failures) from None
                delay = backoff_delay(failures, RETRY_BASE.get(fault.code, self.retry_base_delay))
                if fault.retry_after is not None:
                    delay = max(delay, fault.retry_after)
                log.debug("%s: %s; retry %d in %.2fs", what, fault.what, failures, delay)
                if self.on_wait is not None:
                    await self.on_wait(fault.what, delay)
                await self._sleep(delay)

    async def _attempt(
        self,
        start: Callable[[dict[str, Any], str | None], Any],
        on_partial: Callable[[Any], Awaitable[None]] | None,
        feedback: str | None,
        budget: Budget,
        salvage: Callable[[str | None], Any] | None = None,
    ) -> tuple[Any, str | None]:
        import baml_py
        from baml_py import errors

        await self._bucket.acquire()
        collector = baml_py.Collector()
        abort = baml_py.AbortController()
        # BAML's own first-token clock starts once response headers arrive: the watch
        # counts from the request, and any SSE event (a role-only chunk too) is life.
        watch = StreamWatch(abort, self.spec.url, self.timeouts)
        options: dict[str, Any] = {
            "client_registry": self._registry_for(budget),
            "collector": collector,
            "abort_controller": abort,
            "on_tick": watch.tick,
        }
        finished = False

        async def partial_arrived(partial: Any) -> None:
            watch.tick()
            if on_partial is not None:
                await on_partial(partial)

        try:
            final = await drive(start(options, feedback), partial_arrived, abort)
            finished = True
            if not stream_finished(collector):
                raise Transient("unavailable", "the stream ended before the reply was complete")
            return final, raw_text(collector)
        except errors.BamlValidationError as exc:
            if not stream_finished(collector):
                raise Transient("unavailable", "the stream ended before the reply was complete") from None
            rescued = salvage(exc.raw_output) if salvage is not None else None
            if rescued is not None:
                return rescued, exc.raw_output
            raise Retry(parse_feedback(exc.message)) from None
        except errors.BamlClientFinishReasonError:
            raise CutByLength() from None
        except errors.BamlClientHttpError as exc:
            response = last_response(collector)
            headers = getattr(response, "headers", None)
            if not headers:
                # No HTTP response at all (BAML records one with no headers): the
                # connection failed. Find out how from the socket's own typed errors.
                found = await probe(self.spec.url, PROBE_TIMEOUT_SECONDS)
                raise connection_fault(found, self.spec.url, self.spec.url_source) from None
            raise classify_http(exc.status_code, self.spec.url, retry_after_seconds(headers)) from None
        except errors.BamlTimeoutError:
            raise watch.timeout_fault() from None
        except errors.BamlAbortError:
            if watch.dead is not None:
                raise connection_fault(watch.dead, self.spec.url, self.spec.url_source) from None
            if watch.timed_out:
                raise watch.timeout_fault() from None
            raise
        except errors.BamlInvalidArgumentError:
            raise LLMError("config", f"the {self.spec.provider} client is misconfigured") from None
        finally:
            await watch.aclose()
            if not finished:
                abort.abort()
            self._count(collector)

    def _count(self, collector: Any) -> None:
        usage = collector.usage
        self.usage.add(
            Usage(
                # None when the server sent no usage: unknown, not zero.
                input_tokens=usage.input_tokens if usage.input_tokens else None,
                output_tokens=usage.output_tokens if usage.output_tokens else None,
                calls=len(collector.logs),
            )
        )

    def _give_up(self, fault: Transient, attempts: int) -> LLMError:
        name = f"the {self.spec.provider} LLM"
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if fault.code == "rate_limited":
            wait = f"; it asks to wait {fault.retry_after:.0f} s" if fault.retry_after is not None else ""
            return LLMError(
                "rate_limited",
                f"{name} is refusing requests as too many (HTTP 429, {tries}{wait})",
                hint=(
                    f"try again in {max(1.0, fault.retry_after):.0f} s, or lower llm.requests_per_minute"
                    if fault.retry_after is not None
                    else "wait a minute, or lower llm.requests_per_minute"
                ),
            )
        if fault.code == "unreachable":
            return unreachable_error(fault, self.spec.url, self.spec.url_source, tries)
        if fault.code == "timeout":
            setting = fault.setting or "llm.timeout_seconds"
            return LLMError(
                "timeout",
                f"{name}: {fault.what} ({tries})",
                hint=f"try again, or raise {setting}",
            )
        return LLMError(
            "unavailable",
            f"{name} at {self.spec.url} is unavailable: {fault.what} ({tries})",
            hint="try again in a moment; if it keeps failing, check the provider's status page",
        )
