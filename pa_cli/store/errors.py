"""Errors the store raises for things a person did (decide twice, decide too late)."""

from __future__ import annotations

from pa_cli.errors import UsageError


class ApprovalStateError(UsageError):
    """The approval is not in a state that allows this."""

    code = "approval_state"


class ApprovalExpired(ApprovalStateError):
    code = "approval_expired"


class ApprovalAlreadyDecided(ApprovalStateError):
    code = "approval_already_decided"
