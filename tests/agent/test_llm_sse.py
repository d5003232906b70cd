"""Decoding the providers' streams: SSE framing, then each provider's events, exactly."""

from __future__ import annotations

import json

import pytest

from pa_cli.agent.llm_sse import MalformedStream, Reply, SSEDecoder, apply_event


def decode(provider: str, *chunks: bytes) -> Reply:
    reply, decoder = Reply(), SSEDecoder()
    for chunk in chunks:
        for event, data in decoder.feed(chunk):
            apply_event(provider, reply, event, data)
    for event, data in decoder.close():
        apply_event(provider, reply, event, data)
    return reply


def test_events_split_anywhere_across_chunks_and_line_endings_are_read_whole() -> None:
    body = b'data: {"choices":[{"delta":{"content":"Hel"}}]}\r\n\r\n: ping\r\n\r\ndata: {"choices":[{"delta":{"content":"lo"}}]}\n\n'
    whole = SSEDecoder().feed(body)
    for size in (1, 2, 3, 7):
        decoder = SSEDecoder()
        pieces = [body[i : i + size] for i in range(0, len(body), size)]
        assert [event for piece in pieces for event in decoder.feed(piece)] == whole
    assert [data for _, data in whole] == [
        '{"choices":[{"delta":{"content":"Hel"}}]}',
        '{"choices":[{"delta":{"content":"lo"}}]}',
    ]


def test_comments_are_not_events_and_multi_line_data_is_joined() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b": ping - 2026-12-03 08:05:23\n\n") == []
    assert decoder.feed(b"event: message_stop\ndata: {\ndata: }\r\n\r\n") == [("message_stop", "{\n}")]
    assert decoder.feed(b"event: e\rdata: a\r\rdata: b\r") == [("e", "a")]  # a lone CR ends a line too
    assert decoder.feed(b"\n") == [] and decoder.close() == [("", "b")]


def test_an_event_without_its_final_blank_line_is_still_read_at_the_end() -> None:
    reply = decode("openai-generic", b'data: {"choices":[{"delta":{"content":"x"},"finish_reason":"stop"}]}')
    assert (reply.text, reply.finish_reason, reply.finished) == ("x", "stop", True)


def test_openai_text_finish_and_usage() -> None:
    chunk = {"choices": [{"delta": {"role": "assistant", "content": None}}]}
    text = {"choices": [{"delta": {"content": "Paris."}}]}
    finish = {"choices": [{"delta": {}, "finish_reason": "length"}]}
    usage = {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3}}
    body = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in (chunk, text, finish, usage))
    reply = decode("openai", body + b"data: [DONE]\n\n")
    assert (reply.text, reply.finish_reason, reply.finished) == ("Paris.", "length", True)
    assert (reply.input_tokens, reply.output_tokens) == (12, 3)


def test_a_stream_that_stops_before_its_end_marker_is_not_finished() -> None:
    reply = decode("openai-generic", b'data: {"choices":[{"delta":{"content":"Par"}}]}\n\n')
    assert (reply.text, reply.finished, reply.input_tokens, reply.output_tokens) == ("Par", False, None, None)


def test_gemini_text_without_thought_summaries_finish_and_usage() -> None:
    first = {
        "candidates": [{"content": {"parts": [{"text": "thinking...", "thought": True}, {"text": "Pa"}]}}]
    }
    last = {
        "candidates": [{"content": {"parts": [{"text": "ris."}]}, "finishReason": "MAX_TOKENS"}],
        "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 2},
    }
    reply = decode("gemini", *(f"data: {json.dumps(e)}\r\n\r\n".encode() for e in (first, last)))
    assert (reply.text, reply.finish_reason, reply.finished) == ("Paris.", "MAX_TOKENS", True)
    assert (reply.input_tokens, reply.output_tokens) == (40, 2)


def test_anthropic_typed_events() -> None:
    events = [
        (
            "message_start",
            {"type": "message_start", "message": {"usage": {"input_tokens": 25, "output_tokens": 1}}},
        ),
        ("content_block_start", {"type": "content_block_start", "index": 0}),
        (
            "content_block_delta",
            {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "Pa"}},
        ),
        ("ping", {"type": "ping"}),
        (
            "content_block_delta",
            {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "ris."}},
        ),
        (
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 7}},
        ),
    ]
    body = b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)
    reply = decode("anthropic", body)
    assert (reply.text, reply.finish_reason, reply.finished) == ("Paris.", "max_tokens", False)
    reply = decode("anthropic", body + b'event: message_stop\ndata: {"type": "message_stop"}\n\n')
    assert reply.finished and (reply.input_tokens, reply.output_tokens) == (25, 7)


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("openai-generic", b"data: {not json\n\n"),
        ("openai-generic", b'data: {"error": {"message": "overloaded"}}\n\n'),
        ("gemini", b"data: [1, 2]\n\n"),
        ("anthropic", b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error"}}\n\n'),
    ],
)
def test_malformed_events_and_error_events_are_refused(provider: str, body: bytes) -> None:
    with pytest.raises(MalformedStream):
        decode(provider, body)


def test_done_is_only_an_end_marker_for_openai_style_streams() -> None:
    assert decode("ollama", b"data: [DONE]\n\n").finished
    with pytest.raises(MalformedStream):
        decode("gemini", b"data: [DONE]\n\n")
