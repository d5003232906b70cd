"""Batch approvals: one approval for many items, with the items a person leaves out.

A batch tool (``gmail_modify``) freezes, beside its request, the list of items it
will touch (``selectable``: id and a one-line label such as "sender - subject -
date"). Every front-end shows them as checkboxes, all ticked; what the person
unticks is stored in the frozen request (``deselected``) before the approval is
decided, and the tool then runs only on ``selected_ids``. Deselecting can only
narrow an approved request: an id that was not previewed is refused, and so is
leaving out every item (that is a denial).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pa_cli.errors import UsageError

SELECTABLE_KEY = "selectable"
DESELECTED_KEY = "deselected"


@dataclass(frozen=True)
class Choice:
    """One item of a batch: its id and what a person reads to recognise it."""

    id: str
    label: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label}


def choices_of(frozen: dict[str, Any] | None) -> list[Choice]:
    """The items a batch approval previews (empty for an ordinary approval)."""
    if not frozen:
        return []
    return [Choice(str(item["id"]), str(item["label"])) for item in frozen.get(SELECTABLE_KEY) or []]


def choices_json(frozen: dict[str, Any] | None) -> list[dict[str, str]]:
    """The items as ``[{"id", "label"}]`` for the front-ends' checkboxes (empty: not a batch)."""
    return [choice.as_dict() for choice in choices_of(frozen)]


def with_deselected(frozen: dict[str, Any] | None, deselected: Iterable[str]) -> dict[str, Any] | None:
    """``frozen`` with these items left out; UsageError for an unknown id or when nothing would be left."""
    wanted = list(dict.fromkeys(item.strip() for item in deselected if item.strip()))
    if not wanted:
        return frozen
    choices = choices_of(frozen)
    if not choices or frozen is None:
        raise UsageError("this approval is not a batch: there is nothing to leave out")
    known = {choice.id for choice in choices}
    unknown = [item for item in wanted if item not in known]
    if unknown:
        raise UsageError(
            f"not in this approval: {', '.join(unknown[:5])}", hint="`pa approvals` shows what it covers"
        )
    if len(wanted) >= len(known):
        raise UsageError("that leaves out every item: deny the approval instead (`pa deny ID`)")
    return {**frozen, DESELECTED_KEY: wanted}


def selected_ids(frozen: dict[str, Any] | None) -> list[str]:
    """The ids the approved batch runs on: previewed minus left out, in preview order."""
    left_out = set((frozen or {}).get(DESELECTED_KEY) or [])
    return [choice.id for choice in choices_of(frozen) if choice.id not in left_out]


def left_out_ids(frozen: dict[str, Any] | None) -> list[str]:
    return list((frozen or {}).get(DESELECTED_KEY) or [])


def parse_id_list(text: str | None) -> list[str]:
    """``"a,b, c"`` -> ``["a", "b", "c"]`` (the CLI's ``--except``)."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]
