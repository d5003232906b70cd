"""pa-word-count: an example pa plugin offering the ``word_count`` tool."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolResult


class WordCountArgs(ToolArgs):
    text: str = Field(description="the text whose words to count")


class WordCount(Tool):
    name = "word_count"
    description = "Count the words, lines and characters in a text."
    args_model: ClassVar[type[BaseModel]] = WordCountArgs

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, WordCountArgs)
        words = len(args.text.split())
        lines = len(args.text.splitlines())
        counts = {"words": words, "lines": lines, "characters": len(args.text)}
        return ToolResult(content=counts, summary=f"{words} words")
