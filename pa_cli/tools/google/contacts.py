"""contacts_search: a name becomes an address (People v1, read only).

It searches the user's contacts (``people.searchContacts``) and the "other
contacts" Gmail keeps of people the user wrote to (``otherContacts.search``),
merges them by address, and says plainly how many people matched: with more than
one, the model is told to ask the user which one, never to pick. Contact data is
untrusted (anyone can put text in a name they send mail under).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from pa_cli.google.runtime import call_google
from pa_cli.google.scopes import CONTACTS_OTHER_READONLY, CONTACTS_READONLY
from pa_cli.sanitize import clean_line
from pa_cli.tools.base import Tool, ToolArgs, ToolContext, ToolResult

PAGE_SIZE = 10
_READ_MASK = "names,emailAddresses"
_OWN_READ_MASK = "names,emailAddresses,organizations"


class ContactsSearchArgs(ToolArgs):
    query: str = Field(min_length=1, max_length=200, description="a name or part of an address, e.g. 'Priya'")

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        cleaned = " ".join(value.split())
        if not cleaned:
            raise ValueError("give a name or an address to search for")
        return cleaned


def _person(person: dict[str, Any], source: str) -> dict[str, Any] | None:
    names = person.get("names") or []
    emails = [str(e.get("value")) for e in person.get("emailAddresses") or [] if e.get("value")]
    if not emails:
        return None  # no address: nothing to send mail to
    organizations = person.get("organizations") or []
    found: dict[str, Any] = {
        "name": clean_line(str(names[0].get("displayName") or "")) if names else "",
        "emails": emails,
        "source": source,
        "resource_name": person.get("resourceName"),
    }
    if organizations and organizations[0].get("name"):
        found["organization"] = clean_line(str(organizations[0]["name"]))
    return found


def search_contacts(api: Any, query: str) -> list[dict[str, Any]]:
    """Contacts first, then other contacts; one entry per address (a contact wins over its copy)."""
    own = api.people().searchContacts(query=query, readMask=_OWN_READ_MASK, pageSize=PAGE_SIZE).execute()
    other = api.otherContacts().search(query=query, readMask=_READ_MASK, pageSize=PAGE_SIZE).execute()
    people: list[dict[str, Any]] = []
    seen: set[str] = set()
    for source, listing in (("contacts", own), ("other_contacts", other)):
        for result in listing.get("results") or []:
            found = _person(result.get("person") or {}, source)
            if found is None or {e.lower() for e in found["emails"]} & seen:
                continue
            seen |= {e.lower() for e in found["emails"]}
            people.append(found)
    return people


def guidance(query: str, people: list[dict[str, Any]]) -> str:
    """What the model must do next, in words it cannot miss."""
    if not people:
        return f"No contact matches {query!r}: ask the user for the address; do not guess one."
    if len(people) == 1 and len(people[0]["emails"]) == 1:
        return f"One contact matches {query!r}."
    if len(people) == 1:
        return (
            f"One contact matches {query!r} but has {len(people[0]['emails'])} addresses: ask the user "
            "which address to use; do not pick one yourself."
        )
    return (
        f"{len(people)} different people match {query!r}: this is ambiguous. Ask the user which one they "
        "mean (list the names and addresses); do not guess and do not act until they answer."
    )


class ContactsSearch(Tool):
    name = "contacts_search"
    description = (
        "Find a person's email address by name in the user's Google contacts (and the people they "
        "have written to). When several people match, ask the user which one: never guess."
    )
    args_model = ContactsSearchArgs
    service = "contacts"
    requires = (CONTACTS_READONLY, CONTACTS_OTHER_READONLY)
    untrusted_output = True

    async def run(self, args: ContactsSearchArgs, ctx: ToolContext) -> ToolResult:
        people = await call_google(
            ctx, "contacts", self.requires, lambda api: search_contacts(api, args.query)
        )
        ambiguous = len(people) > 1 or any(len(p["emails"]) > 1 for p in people)
        said = guidance(args.query, people)
        return ToolResult(
            content={
                "query": args.query,
                "matches": len(people),
                "ambiguous": ambiguous,
                "next_step": said,
                "people": people,
            },
            summary=said,
            resource_ids=[f"contact:{p['resource_name']}" for p in people if p.get("resource_name")],
            untrusted=True,
            taint=f"this session read contacts matching {args.query!r}",
        )


CONTACTS_TOOLS: tuple[type[Tool], ...] = (ContactsSearch,)
