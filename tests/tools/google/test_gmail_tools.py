"""Gmail tools against the fake Gmail over loopback: search paging, reading, drafts and sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pa_cli.errors import AuthorizationNeeded
from pa_cli.testing.fake_google import Attachment
from pa_cli.tools.base import ToolError
from pa_cli.tools.google import GOOGLE_TOOL_NAMES, google_tools
from pa_cli.tools.google.gmail import GmailDraft, GmailRead, GmailReadArgs, GmailSearch, GmailSend, MailArgs
from tests.google.support import GoogleRig


@pytest.fixture
def gmail(rig: GoogleRig) -> GoogleRig:
    rig.reload({"gmail.undo_seconds": 0})  # the send itself; the outbox has its own tests
    rig.grant("gmail")
    return rig


READERS = (
    "gmail_search",
    "gmail_read",
    "gmail_labels",
    "gmail_attachment",
    "calendar_list_events",
    "calendar_free_busy",
    "contacts_search",
    "calendar_list_calendars",
    "calendar_find_time",
)


def test_the_google_tools_declare_their_service_scopes_and_trust() -> None:
    tools = {tool.name: tool for tool in google_tools()}
    assert tuple(tools) == GOOGLE_TOOL_NAMES
    for name, tool in tools.items():
        assert tool.service == name.split("_")[0]
        assert tool.requires, name
        assert tool.untrusted_output == (name in READERS)
    side_effects = {name for name, tool in tools.items() if tool.side_effect}
    assert side_effects == {  # DESIGN: a draft is not a side effect (nothing leaves the mailbox)
        "gmail_send",
        "gmail_modify",
        "gmail_label_create",
        "gmail_forward",
        "calendar_create_event",
        "calendar_update_event",
        "calendar_delete_event",
        "calendar_respond",
    }
    read_only = [
        tools[n] for n in ("gmail_search", "gmail_read", "calendar_list_events", "calendar_free_busy")
    ]
    assert all(scope.endswith(".readonly") for tool in read_only for scope in tool.requires)
    assert "https://www.googleapis.com/auth/gmail.send" not in tools["gmail_draft"].requires
    assert "https://www.googleapis.com/auth/gmail.compose" not in tools["gmail_send"].requires


def test_search_returns_sender_subject_date_snippet_and_ids_and_pages(gmail: GoogleRig) -> None:
    now = datetime.now(UTC)
    for i in range(5):
        gmail.fake.add_message(
            f"Sender {i} <s{i}@example.com>", "me@example.com", f"Report {i}", f"Body of report {i}",
            date=now - timedelta(hours=i),
        )  # fmt: skip
    gmail.fake.add_message("x@example.com", "me@example.com", "Unrelated", "nothing")

    first = gmail.run(GmailSearch(), query="subject:report", max_results=2)
    assert first.untrusted
    page = first.content
    assert [m["subject"] for m in page["messages"]] == ["Report 0", "Report 1"]
    message = page["messages"][0]
    assert message["from"] == "Sender 0 <s0@example.com>"
    assert message["snippet"].startswith("Body of report 0")
    assert message["date"] and message["id"] and message["thread_id"]
    assert page["next_page_token"]
    assert first.summary == "2 messages (more available)"
    assert first.resource_ids == [f"message:{m['id']}" for m in page["messages"]]

    seen = [m["subject"] for m in page["messages"]]
    token = page["next_page_token"]
    while token:
        page = gmail.run(GmailSearch(), query="subject:report", max_results=2, page_token=token).content
        seen += [m["subject"] for m in page["messages"]]
        token = page["next_page_token"]
    assert seen == [f"Report {i}" for i in range(5)]


def test_read_extracts_the_text_of_a_multipart_message_and_lists_attachments(gmail: GoogleRig) -> None:
    stored = gmail.fake.add_message(
        "Alice <alice@example.com>",
        "me@example.com",
        "Invoice",
        "Please find the invoice attached.",
        body_html="<p>Please find the <b>invoice</b> attached.</p>",
        attachments=[Attachment("invoice.pdf", b"%PDF-1.4 fake", "application/pdf")],
        cc="bob@example.com",
    )
    result = gmail.run(GmailRead(), message_id=stored.id)
    assert result.untrusted
    message = result.content["message"]
    assert message["from"] == "Alice <alice@example.com>"
    assert message["cc"] == "bob@example.com"
    assert message["body"].strip() == "Please find the invoice attached."
    assert message["body_format"] == "text/plain"
    [attachment] = message["attachments"]
    assert attachment["filename"] == "invoice.pdf"
    assert attachment["mime_type"] == "application/pdf"
    assert attachment["size"] == len(b"%PDF-1.4 fake")
    assert attachment["attachment_id"]


def test_read_of_an_html_only_message_gives_text(gmail: GoogleRig) -> None:
    raw = (
        b"From: news@example.com\r\nTo: me@example.com\r\nSubject: News\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><h1>Hello</h1><p>World &amp; more</p></body></html>\r\n"
    )
    stored = gmail.fake.add_raw_message(raw)
    message = gmail.run(GmailRead(), message_id=stored.id).content["message"]
    assert message["body"] == "Hello\n\nWorld & more"
    assert message["body_format"] == "text/html"


def test_read_a_whole_thread(gmail: GoogleRig) -> None:
    first = gmail.fake.add_message("alice@example.com", "me@example.com", "Plan", "First")
    gmail.fake.add_message(
        "me@example.com", "alice@example.com", "Re: Plan", "Second", thread_id=first.thread_id
    )
    result = gmail.run(GmailRead(), thread_id=first.thread_id)
    assert [m["body"].strip() for m in result.content["messages"]] == ["First", "Second"]
    assert result.resource_ids[0] == f"thread:{first.thread_id}"


def test_read_needs_exactly_one_of_message_id_and_thread_id() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        GmailReadArgs.model_validate({})
    with pytest.raises(ValueError, match="exactly one"):
        GmailReadArgs.model_validate({"message_id": "a", "thread_id": "b"})


def test_reading_a_missing_message_is_a_tool_error(gmail: GoogleRig) -> None:
    with pytest.raises(ToolError, match="Gmail: not found"):
        gmail.run(GmailRead(), message_id="0123456789abcdef")


def test_mail_arguments_validate_addresses() -> None:
    with pytest.raises(ValueError, match="not a valid email address"):
        MailArgs.model_validate({"to": ["bob@"], "subject": "s", "body": "b"})
    with pytest.raises(ValueError):
        MailArgs.model_validate({"to": [], "subject": "s", "body": "b"})
    with pytest.raises(ValueError, match="one line"):
        MailArgs.model_validate({"to": ["a@example.com"], "subject": "s\nBcc: x@example.com", "body": "b"})


def test_draft_reply_is_threaded_with_proper_headers(gmail: GoogleRig) -> None:
    original = gmail.fake.add_message(
        "Alice <alice@example.com>", "me@example.com", "Lunch Friday?", "Are you free?"
    )
    result = gmail.run(
        GmailDraft(),
        to=["alice@example.com"],
        subject="Lunch Friday?",
        body="Yes!",
        reply_to_message_id=original.id,
    )
    [draft] = gmail.fake.drafts
    assert draft.thread_id == original.thread_id
    assert draft.subject == "Re: Lunch Friday?"
    assert draft.in_reply_to == original.header("Message-ID")
    assert draft.references == original.header("Message-ID")
    assert draft.body.strip() == "Yes!"
    assert gmail.fake.sent == []
    assert result.content["thread_id"] == original.thread_id
    assert result.content["draft_id"] == draft.draft_id


def test_send_preview_is_the_mail_exactly_as_it_goes_out(gmail: GoogleRig) -> None:
    original = gmail.fake.add_message(
        "Bob <bob@example.com>", "me@example.com", "Budget", "Numbers?", cc="carol@example.com"
    )
    arguments = {
        "to": ["Bob <bob@example.com>"],
        "cc": ["carol@example.com"],
        "subject": "Budget",
        "body": "Here are the numbers.\n\n- Q1: 10\n- Q2: 12",
        "reply_to_message_id": original.id,
    }
    preview = gmail.preview(GmailSend(), **arguments)
    assert preview == (
        "Send this email:\n"
        "(a reply in the same thread to the message from Bob <bob@example.com>)\n"
        "To: Bob <bob@example.com>\n"
        "Cc: carol@example.com\n"
        "Subject: Re: Budget\n"
        "\n"
        "Here are the numbers.\n\n- Q1: 10\n- Q2: 12"
    )
    assert gmail.fake.sent == []  # a preview sends nothing

    result = gmail.run(GmailSend(), **arguments)

    [sent] = gmail.fake.sent
    assert sent.to == ["bob@example.com"] and sent.cc == ["carol@example.com"]
    assert sent.subject == "Re: Budget"
    assert sent.body.replace("\r\n", "\n").rstrip("\n") == arguments["body"]
    assert sent.in_reply_to == original.header("Message-ID")
    assert sent.references == original.header("Message-ID")
    assert sent.thread_id == original.thread_id
    assert result.resource_ids == [f"message:{sent.id}"]
    assert not result.untrusted


def test_send_a_new_message_without_network_for_the_preview(gmail: GoogleRig) -> None:
    preview = gmail.preview(GmailSend(), to=["dave@example.com"], subject="Hi", body="Hello Dave")
    assert preview == "Send this email:\nTo: dave@example.com\nSubject: Hi\n\nHello Dave"
    assert gmail.fake.api_requests == []
    gmail.run(GmailSend(), to=["dave@example.com"], subject="Hi", body="Hello Dave")
    [sent] = gmail.fake.sent
    assert sent.subject == "Hi" and sent.in_reply_to is None and sent.to == ["dave@example.com"]


def test_send_is_refused_in_draft_only_mode(gmail: GoogleRig) -> None:
    gmail.reload({"gmail.mode": "draft_only"})
    with pytest.raises(ToolError, match="draft_only"):
        gmail.run(GmailSend(), to=["dave@example.com"], subject="Hi", body="Hello")
    assert gmail.fake.sent == []


def test_send_without_the_send_scope_asks_for_authorization(rig: GoogleRig) -> None:
    rig.grant("gmail", ["https://www.googleapis.com/auth/gmail.readonly"])
    with pytest.raises(AuthorizationNeeded, match="run `pa tools authorize gmail`"):
        rig.preview(GmailSend(), to=["dave@example.com"], subject="Hi", body="Hello")


async def test_through_execute_tool_a_missing_authorization_is_a_clear_failed_result(rig: GoogleRig) -> None:
    from pa_cli.tools.registry import execute_tool

    result = await execute_tool(GmailSearch(), {"query": "x"}, rig.ctx())
    assert not result.ok
    assert result.content == {
        "error": {
            "code": "authorization_needed",
            "message": "gmail is not authorized: run `pa tools authorize gmail`",
        }
    }
