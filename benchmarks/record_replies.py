"""Record a real model's replies to pa's own prompts, as raw SSE bytes, for replay in tests.

    python -m benchmarks.record_replies --base-url http://127.0.0.1:8765/v1 --out DIR [--seeds 1 2 3]

For each case the PersonalAssistantThinking request is rendered exactly as pa sends it
(BAML's ``stream_request``: same prompt, ``stream_options``, ``max_tokens``), sent to the
server with ``temperature`` and ``seed`` added, and the response body is written byte for
byte (``DIR/<case>-s<seed>.sse``, keep-alive comments included) beside a ``.json`` note
of the request: model, prompt message, settings, HTTP status, time taken. Recording is
done once by hand against a local server (see tests/fixtures/recorded/README.md), never
in CI; ``pa_cli.testing.fake_llm``'s replay mode (``Reply.recorded``) sends the bytes back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.bench_prompt import all_tool_specs, hello_context


@dataclass(frozen=True)
class Case:
    name: str
    message: str
    tools: str  # "all", "builtin" or "none"
    max_tokens: int = 512


CASES = [
    Case("capital-short-limit", "What is the capital of France?", "none", max_tokens=40),
    Case("capital", "What is the capital of France?", "none"),
    Case("hello", "hello", "all"),
    Case("save-note", "Save a note called groceries.txt that says: milk, eggs, bread", "builtin"),
    Case("search-mail", "Search my mail for the invoice from Acme", "all"),
    Case("calendar-tomorrow", "What is on my calendar tomorrow?", "all"),
    Case("draft-mail", "Draft a mail to anna@example.com saying I will be late", "all"),
]


def context_for(case: Case) -> Any:
    ctx = hello_context(case.message)
    if case.tools == "none":
        ctx.tools = []
    elif case.tools == "builtin":
        ctx.tools = [t for t in all_tool_specs() if not t.name.startswith(("gmail_", "calendar_"))]
    return ctx


async def record(
    base_url: str, out: Path, seeds: list[int], model: str, only: list[str] | None = None
) -> None:
    import httpx
    from pydantic import SecretStr

    from pa_cli.agent.llm_render import thinking_request
    from pa_cli.config import LLMSettings, Settings

    async with httpx.AsyncClient(timeout=httpx.Timeout(600.0)) as client:
        for case in [c for c in CASES if not only or c.name in only]:
            settings = Settings(
                llm=LLMSettings(
                    provider="openai-generic",
                    base_url=base_url,
                    model=model,
                    api_key=SecretStr("-"),
                    max_tokens_thinking=case.max_tokens,
                )
            )
            body = await thinking_request(settings, context_for(case))
            for seed in seeds:
                request = dict(body, temperature=0.0 if seed == 0 else 0.8, seed=seed)
                started = time.monotonic()
                chunks: list[bytes] = []
                async with client.stream("POST", f"{base_url}/chat/completions", json=request) as response:
                    async for chunk in response.aiter_raw():
                        chunks.append(chunk)
                    status = response.status_code
                name = f"{case.name}-s{seed}"
                (out / f"{name}.sse").write_bytes(b"".join(chunks))
                note = {
                    "case": case.name,
                    "user_message": case.message,
                    "tools": case.tools,
                    "max_tokens": case.max_tokens,
                    "temperature": request["temperature"],
                    "seed": seed,
                    "model": model,
                    "status": status,
                    "seconds": round(time.monotonic() - started, 1),
                    "prompt_characters": sum(len(str(m.get("content"))) for m in body.get("messages", [])),
                }
                (out / f"{name}.json").write_text(json.dumps(note, indent=2) + "\n", encoding="utf-8")
                print(f"{name}: HTTP {status}, {note['seconds']} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.record_replies")
    parser.add_argument("--base-url", required=True, help="the server's OpenAI-compatible root, e.g. .../v1")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cases", nargs="+", choices=[c.name for c in CASES], help="only these cases")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(record(args.base_url.rstrip("/"), args.out, args.seeds, args.model, args.cases))


if __name__ == "__main__":
    main()
