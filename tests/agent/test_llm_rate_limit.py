"""The client-side token bucket, on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from pa_cli.agent.rate_limit import TokenBucket, shared_bucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def bucket(rpm: float, clock: FakeClock, burst: float | None = None) -> TokenBucket:
    return TokenBucket(rpm, burst=burst, clock=clock, sleep=clock.sleep)


async def test_a_burst_goes_out_at_once_then_requests_are_spaced() -> None:
    clock = FakeClock()
    limiter = bucket(60, clock)  # one a second, ten seconds' worth of burst

    for _ in range(10):
        assert await limiter.acquire() == 0
    waits = [await limiter.acquire() for _ in range(3)]

    assert waits == pytest.approx([1.0, 1.0, 1.0])
    assert clock.sleeps == pytest.approx([1.0, 1.0, 1.0])


async def test_a_slow_rate_spaces_every_request() -> None:
    clock = FakeClock()
    limiter = bucket(6, clock)  # one every ten seconds, burst of one

    waits = [await limiter.acquire() for _ in range(3)]

    assert waits == pytest.approx([0.0, 10.0, 10.0])


async def test_idle_time_refills_the_bucket_up_to_its_capacity() -> None:
    clock = FakeClock()
    limiter = bucket(60, clock, burst=3)
    for _ in range(3):
        await limiter.acquire()

    clock.now += 2.0
    assert [await limiter.acquire() for _ in range(2)] == [0, 0]
    assert await limiter.acquire() == pytest.approx(1.0)

    clock.now += 3600
    assert [await limiter.acquire() for _ in range(3)] == [0, 0, 0]
    assert await limiter.acquire() == pytest.approx(1.0)


async def test_concurrent_callers_are_served_in_turn() -> None:
    clock = FakeClock()

    async def no_sleep(_seconds: float) -> None:
        return None

    limiter = TokenBucket(60, burst=1, clock=clock, sleep=no_sleep)

    waits = await asyncio.gather(*(limiter.acquire() for _ in range(4)))

    assert sorted(waits) == pytest.approx([0.0, 1.0, 2.0, 3.0])


def test_one_bucket_is_shared_per_endpoint_and_rate() -> None:
    first = shared_bucket("gemini https://example.invalid", 60)

    assert shared_bucket("gemini https://example.invalid", 60) is first
    assert shared_bucket("openai https://example.invalid", 60) is not first
    assert shared_bucket("gemini https://example.invalid", 30) is not first


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)


async def test_every_llm_request_waits_for_the_bucket(fake_llm: object) -> None:
    from pa_cli.agent.llm import AssistantLLM
    from pa_cli.testing.fake_llm import FakeLLM
    from tests.agent.test_llm import answer_json, make_context, make_settings

    assert isinstance(fake_llm, FakeLLM)
    clock = FakeClock()
    fake_llm.fail(429)
    fake_llm.reply_text(answer_json("one"))
    fake_llm.reply_text(answer_json("two"))
    llm = AssistantLLM(
        make_settings("openai-generic", fake_llm),
        rate_limiter=bucket(6, clock),
        retry_base_delay=0.001,
    )

    await llm.think(make_context(), None)
    await llm.think(make_context(), None)

    assert len(fake_llm.requests) == 3
    assert clock.sleeps == pytest.approx([10.0, 10.0])  # the retry and the second call each waited
