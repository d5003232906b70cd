"""People v1 (contacts), read only: ``people:searchContacts`` and ``otherContacts:search``.

The real API matches a query against the start of any word of a person's names,
email addresses and organizations (case-insensitive), wants a ``readMask`` (400
without one; other contacts accept only names, emailAddresses, phoneNumbers and
metadata), caps ``pageSize`` at 30 and leaves ``results`` out when nothing matches.
The real API also wants a warm-up request with an empty query first (a cache);
the fake needs none.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pa_cli.testing.fake_google.responses import bad_request

if TYPE_CHECKING:
    from pa_cli.testing.fake_google.server import FakeGoogle

_AUTH = "https://www.googleapis.com/auth/"
CONTACTS_READ_SCOPES = frozenset({_AUTH + "contacts", _AUTH + "contacts.readonly"})
OTHER_CONTACTS_SCOPES = frozenset({_AUTH + "contacts.other.readonly"})
_PERSON_FIELDS = frozenset({"names", "emailAddresses", "organizations", "phoneNumbers", "metadata"})
_OTHER_FIELDS = frozenset({"names", "emailAddresses", "phoneNumbers", "metadata"})
MAX_PAGE_SIZE = 30


@dataclass
class Contact:
    resource_name: str
    name: str
    emails: list[str]
    organization: str | None = None

    def words(self) -> list[str]:
        text = " ".join([self.name, *self.emails, self.organization or ""]).lower()
        return [w for w in re.split(r"[\s@.<>,_-]+", text) if w] + [e.lower() for e in self.emails]

    def resource(self, fields: frozenset[str]) -> dict[str, Any]:
        person: dict[str, Any] = {"resourceName": self.resource_name, "etag": "%" + self.resource_name[-8:]}
        if "names" in fields and self.name:
            given, _, family = self.name.partition(" ")
            person["names"] = [{"displayName": self.name, "givenName": given, "familyName": family}]
        if "emailAddresses" in fields and self.emails:
            person["emailAddresses"] = [{"value": e} for e in self.emails]
        if "organizations" in fields and self.organization:
            person["organizations"] = [{"name": self.organization}]
        return person


@dataclass
class PeopleBook:
    contacts: list[Contact] = field(default_factory=list)
    other_contacts: list[Contact] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_contact(
        self, name: str, *emails: str, organization: str | None = None, other: bool = False
    ) -> Contact:
        """A saved contact (``people/c…``), or with ``other`` one Gmail collected (``otherContacts/c…``)."""
        prefix = "otherContacts" if other else "people"
        contact = Contact(f"{prefix}/c{secrets.randbelow(10**18)}", name, list(emails), organization)
        with self.lock:
            (self.other_contacts if other else self.contacts).append(contact)
        return contact

    def search(self, query: str, *, other: bool) -> list[Contact]:
        wanted = query.strip().lower()
        with self.lock:
            pool = list(self.other_contacts if other else self.contacts)
        if not wanted:
            return []  # the warm-up request: an empty query returns nothing
        return [c for c in pool if any(word.startswith(wanted) for word in c.words())]


def _read_mask(request: Request, allowed: frozenset[str]) -> frozenset[str]:
    mask = request.query_params.get("readMask", "")
    if not mask:
        raise bad_request("Request must set readMask.", "invalidArgument")
    fields = frozenset(f.strip() for f in mask.split(",") if f.strip())
    unknown = sorted(fields - allowed)
    if unknown:
        raise bad_request(f"Invalid readMask path: {unknown[0]}", "invalidArgument")
    return fields


def _page_size(request: Request) -> int:
    value = request.query_params.get("pageSize", "10")
    if not value.isdigit() or int(value) > MAX_PAGE_SIZE:
        raise bad_request(f"pageSize must be between 0 and {MAX_PAGE_SIZE}.", "invalidArgument")
    return int(value) or 10


def people_routes(fake: FakeGoogle) -> list[BaseRoute]:
    def answer(request: Request, *, other: bool) -> Response:
        fake.oauth.check_access(
            request.headers.get("authorization"), OTHER_CONTACTS_SCOPES if other else CONTACTS_READ_SCOPES
        )
        fields = _read_mask(request, _OTHER_FIELDS if other else _PERSON_FIELDS)
        size = _page_size(request)
        found = fake.people.search(request.query_params.get("query", ""), other=other)[:size]
        if not found:
            return JSONResponse({})
        return JSONResponse({"results": [{"person": c.resource(fields)} for c in found]})

    async def search_contacts(request: Request) -> Response:
        return answer(request, other=False)

    async def search_other(request: Request) -> Response:
        return answer(request, other=True)

    return [
        Route("/v1/people:searchContacts", search_contacts, methods=["GET"]),
        Route("/v1/otherContacts:search", search_other, methods=["GET"]),
    ]
