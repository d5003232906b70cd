"""Mail as data: text from multipart/HTML, attachments, address checks, reply headers, outgoing MIME."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy
from typing import Any

import pytest

from pa_cli.tools.google.mime import (
    OutgoingMail,
    attachments,
    extract_body,
    html_to_text,
    references_for,
    reply_subject,
    summarize_message,
    validate_address,
)


def _b64(text: str, charset: str = "utf-8") -> str:
    return base64.urlsafe_b64encode(text.encode(charset)).decode().rstrip("=")


def _part(mime: str, text: str, *, charset: str = "utf-8", **extra: Any) -> dict[str, Any]:
    return {
        "mimeType": mime,
        "headers": [{"name": "Content-Type", "value": f'{mime}; charset="{charset}"'}],
        "body": {"data": _b64(text, charset), "size": len(text)},
        **extra,
    }


def test_plain_text_is_preferred_over_html_in_multipart_alternative() -> None:
    payload = {
        "mimeType": "multipart/alternative",
        "parts": [
            _part("text/plain", "Hello Bob,\r\nsee you."),
            _part("text/html", "<p>Hello <b>Bob</b></p>"),
        ],
    }
    assert extract_body(payload) == ("Hello Bob,\nsee you.", "text/plain")


def test_html_only_mail_is_turned_into_readable_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style><title>x</title></head><body>"
        "<script>alert('no')</script><h1>Invoice</h1><p>Total:&nbsp;12&euro;</p>"
        "<ul><li>one</li><li>two</li></ul>Line<br>break <a href='https://example.com/pay'>pay here</a>"
        "</body></html>"
    )
    text, source = extract_body({"mimeType": "multipart/mixed", "parts": [_part("text/html", html)]})
    assert source == "text/html"
    assert text == "Invoice\n\nTotal: 12€\n\n- one\n- two\nLine\nbreak pay here <https://example.com/pay>"
    assert "alert" not in text and "color" not in text


def test_charsets_other_than_utf8_are_decoded() -> None:
    payload = _part("text/plain", "Grüße aus Köln", charset="iso-8859-1")
    assert extract_body(payload)[0] == "Grüße aus Köln"


def test_attachments_are_listed_and_not_taken_for_the_body() -> None:
    payload = {
        "mimeType": "multipart/mixed",
        "parts": [
            {"mimeType": "multipart/alternative", "parts": [_part("text/plain", "See attached.")]},
            {
                "partId": "1",
                "mimeType": "text/plain",
                "filename": "notes.txt",
                "headers": [{"name": "Content-Disposition", "value": 'attachment; filename="notes.txt"'}],
                "body": {"attachmentId": "ATT1", "size": 42},
            },
            {
                "partId": "2",
                "mimeType": "application/pdf",
                "filename": "invoice.pdf",
                "headers": [],
                "body": {"attachmentId": "ATT2", "size": 1000},
            },
        ],
    }
    assert extract_body(payload) == ("See attached.", "text/plain")
    assert attachments(payload) == [
        {"filename": "notes.txt", "mime_type": "text/plain", "size": 42, "attachment_id": "ATT1", "part_id": "1"},
        {"filename": "invoice.pdf", "mime_type": "application/pdf", "size": 1000, "attachment_id": "ATT2", "part_id": "2"},
    ]  # fmt: skip


def test_long_bodies_are_truncated_and_say_so() -> None:
    message = {"id": "m1", "payload": _part("text/plain", "x" * 25_000)}
    data = summarize_message(message, with_body=True)
    assert len(data["body"]) == 20_000 and data["body_truncated"] is True


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice Example <alice@example.com>", "Alice Example <alice@example.com>"),
        ("  bob+tag@mail.example.org ", "bob+tag@mail.example.org"),
    ],
)
def test_valid_addresses_are_accepted(given: str, expected: str) -> None:
    assert validate_address(given) == expected


@pytest.mark.parametrize(
    "given",
    ["alice", "alice@", "@example.com", "alice@localhost", "a@b.com, c@d.com", "a@b.com\r\nBcc: x@y.com", ""],
)
def test_invalid_addresses_are_refused(given: str) -> None:
    with pytest.raises(ValueError):
        validate_address(given)


def test_reply_subjects_get_exactly_one_re() -> None:
    assert reply_subject("Lunch?", "Lunch?") == "Re: Lunch?"
    assert reply_subject("RE: Lunch?", "Lunch?") == "RE: Lunch?"
    assert reply_subject("", "Lunch?") == "Re: Lunch?"


def test_references_extend_the_original_chain() -> None:
    assert references_for("<c@x>", "<a@x> <b@x>") == "<a@x> <b@x> <c@x>"
    assert references_for("<a@x>", None) == "<a@x>"
    assert references_for(None, None) is None


def test_the_outgoing_message_carries_reply_headers_and_the_exact_body() -> None:
    mail = OutgoingMail(
        to=["Bob <bob@example.com>"],
        cc=["carol@example.com"],
        subject="Re: Plan für Montag",
        body="Sounds good.\nSee you then.\n",
        in_reply_to="<orig@example.com>",
        references="<first@example.com> <orig@example.com>",
        thread_id="t123",
        replying_to="Bob <bob@example.com>",
    )
    body = mail.api_body()
    assert body["threadId"] == "t123"
    parsed = message_from_bytes(base64.urlsafe_b64decode(body["raw"]), policy=policy.default)
    assert parsed["To"] == "Bob <bob@example.com>"
    assert parsed["Cc"] == "carol@example.com"
    assert parsed["Subject"] == "Re: Plan für Montag"
    assert parsed["In-Reply-To"] == "<orig@example.com>"
    assert parsed["References"] == "<first@example.com> <orig@example.com>"
    assert parsed.get_content().replace("\r\n", "\n") == "Sounds good.\nSee you then.\n"
    assert mail.preview("Send this email:") == (
        "Send this email:\n"
        "(a reply in the same thread to the message from Bob <bob@example.com>)\n"
        "To: Bob <bob@example.com>\n"
        "Cc: carol@example.com\n"
        "Subject: Re: Plan für Montag\n"
        "\n"
        "Sounds good.\nSee you then.\n"
    )


def test_html_to_text_collapses_whitespace_but_keeps_paragraphs() -> None:
    assert html_to_text("<div>  a\n  b </div><div>c</div>") == "a b\n\nc"
