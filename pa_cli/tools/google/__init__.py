"""Google tools (Gmail, Calendar and Contacts). Importing this package imports no Google library.

``google_tools()`` lists the tool classes for the registry (and the entry points).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pa_cli.tools.base import Tool

GOOGLE_TOOL_NAMES: tuple[str, ...] = (
    "gmail_search",
    "gmail_read",
    "gmail_draft",
    "gmail_send",
    "gmail_modify",
    "gmail_labels",
    "gmail_label_create",
    "gmail_attachment",
    "gmail_forward",
    "calendar_list_events",
    "calendar_free_busy",
    "calendar_create_event",
    "calendar_update_event",
    "calendar_delete_event",
    "calendar_list_calendars",
    "calendar_respond",
    "calendar_find_time",
    "contacts_search",
)


def google_tools() -> list[type[Tool]]:
    from pa_cli.tools.google.calendar import CALENDAR_TOOLS
    from pa_cli.tools.google.calendar_work import CALENDAR_WORK_TOOLS
    from pa_cli.tools.google.contacts import CONTACTS_TOOLS
    from pa_cli.tools.google.gmail import GMAIL_TOOLS
    from pa_cli.tools.google.gmail_attachments import ATTACHMENT_TOOLS
    from pa_cli.tools.google.gmail_triage import TRIAGE_TOOLS

    return [
        *GMAIL_TOOLS,
        *TRIAGE_TOOLS,
        *ATTACHMENT_TOOLS,
        *CALENDAR_TOOLS,
        *CALENDAR_WORK_TOOLS,
        *CONTACTS_TOOLS,
    ]
