"""ServiceOpening: the service opened once, on a thread, when its owner says; its error kept for all."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any, cast

import pytest

from pa_cli.agent.opening import ServiceOpening
from pa_cli.errors import StoreError

if TYPE_CHECKING:
    from pa_cli.agent.service import AgentService


def test_it_opens_on_another_thread_once_only_after_start() -> None:
    calls: list[str] = []
    marker = cast("AgentService", object())

    def open_service() -> AgentService:
        calls.append(threading.current_thread().name)
        return marker

    opening = ServiceOpening(open_service)
    opening.settle()  # not started: returns at once, opens nothing
    assert calls == [] and not opening.done
    opening.start()
    opening.start()
    assert opening.result() is marker
    assert asyncio.run(opening.wait()) is marker
    assert calls == ["pa-service-open"]


def test_its_failure_is_raised_to_every_caller() -> None:
    def refuse() -> Any:
        raise StoreError("the database is from the future")

    opening = ServiceOpening(refuse)
    opening.start()
    opening.settle()  # waits, does not raise
    assert opening.failed
    for _ in range(2):
        with pytest.raises(StoreError, match="from the future"):
            opening.result()
    with pytest.raises(StoreError):
        asyncio.run(opening.wait())


def test_settle_waits_for_an_opening_under_way() -> None:
    gate = threading.Event()
    marker = cast("AgentService", object())

    def slow() -> AgentService:
        gate.wait(10)
        return marker

    opening = ServiceOpening(slow)
    opening.start()
    threading.Timer(0.2, gate.set).start()
    opening.settle()
    assert opening.done and opening.result() is marker


def test_an_opened_service_is_ready_at_once() -> None:
    marker = cast("AgentService", object())
    opening = ServiceOpening.opened(marker)
    assert opening.done and not opening.failed
    assert opening.result() is marker
