"""One way to resolve an id a person typed: the whole id or a unique prefix of it.

Sessions, approvals and device tokens all go through ``resolve_id``, so every
command that takes an id accepts a prefix and fails the same clear way when
the prefix is unknown or matches several ids (it lists them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, TypeVar

from pa_cli.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from pa_cli.store import ApiClient, Approval, ChatSession, Memory, Store

T = TypeVar("T")

#: A prefix shorter than this is not looked up (only an exact id is).
MIN_PREFIX: Final = 4
#: How many candidates an ambiguity error lists.
SHOWN_CANDIDATES: Final = 5


class AmbiguousId(UsageError):
    code = "ambiguous_id"


def resolve_id(
    kind: str,
    given: str,
    *,
    exact: Callable[[str], T | None],
    by_prefix: Callable[[str, int], Sequence[T]],
    id_of: Callable[[T], str],
    hint: str,
) -> T:
    """The item whose id is ``given`` or starts with it; ``hint`` names the command that lists them.

    ``exact`` must return None for items the caller may not see (another user's),
    and ``by_prefix(prefix, limit)`` must search only the caller's items.
    """
    wanted = given.strip()
    if not wanted:
        raise UsageError(f"no {kind} id given ({hint})")
    found = exact(wanted)
    if found is not None:
        return found
    if len(wanted) < MIN_PREFIX:
        raise NotFoundError(
            f"no {kind} {wanted!r}: give the whole id or at least {MIN_PREFIX} characters of it ({hint})"
        )
    matches = list(by_prefix(wanted, SHOWN_CANDIDATES + 1))
    if not matches:
        raise NotFoundError(f"no {kind} {wanted!r} ({hint})")
    if len(matches) > 1:
        shown = ", ".join(id_of(m) for m in matches[:SHOWN_CANDIDATES])
        more = ", ..." if len(matches) > SHOWN_CANDIDATES else ""
        raise AmbiguousId(f"{kind} prefix {wanted!r} matches several: {shown}{more}; give more characters")
    return matches[0]


def resolve_session(store: Store, user_id: int, given: str) -> ChatSession:
    def exact(session_id: str) -> ChatSession | None:
        session = store.sessions.get(session_id)
        return session if session is not None and session.user_id == user_id else None

    return resolve_id(
        "session",
        given,
        exact=exact,
        by_prefix=lambda prefix, limit: store.sessions.find_by_prefix(user_id, prefix, limit=limit),
        id_of=lambda s: s.id,
        hint="see `pa history list`",
    )


def resolve_approval(store: Store, user_id: int, given: str) -> Approval:
    def exact(approval_id: str) -> Approval | None:
        approval = store.approvals.get(approval_id)
        return approval if approval is not None and approval.user_id == user_id else None

    return resolve_id(
        "approval",
        given,
        exact=exact,
        by_prefix=lambda prefix, limit: store.approvals.find_by_prefix(user_id, prefix, limit=limit),
        id_of=lambda a: a.id,
        hint="see `pa approvals`",
    )


def resolve_token(store: Store, given: str) -> ApiClient:
    return resolve_id(
        "token",
        given,
        exact=store.api_clients.get,
        by_prefix=lambda prefix, limit: store.api_clients.find_by_prefix(prefix, limit=limit),
        id_of=lambda c: c.id,
        hint="see `pa serve token list`",
    )


def resolve_memory(store: Store, user_id: int, given: str) -> Memory:
    return resolve_id(
        "memory",
        given,
        exact=lambda memory_id: store.memories.get(user_id, memory_id),
        by_prefix=lambda prefix, limit: store.memories.find_by_prefix(user_id, prefix, limit=limit),
        id_of=lambda m: m.id,
        hint="see `pa memory list`",
    )
