"""gmail_read lists attachments; gmail_attachment reads text, HTML, PDF and DOCX or saves the text;
gmail_forward previews and sends a message with its attachments (against the fake Gmail over loopback)."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest

from pa_cli.testing.fake_google import Attachment
from pa_cli.tools.base import ToolError
from pa_cli.tools.google.attachment_text import DOCX_MIME, MAX_DOCX_UNPACKED_BYTES, extract_text, kind_of
from pa_cli.tools.google.gmail import GmailRead
from pa_cli.tools.google.gmail_attachments import GmailAttachment
from pa_cli.tools.google.gmail_forward import GmailForward
from tests.fixtures.documents import make_docx, make_pdf
from tests.google.support import GoogleRig


@pytest.fixture
def gmail(rig: GoogleRig) -> GoogleRig:
    rig.reload({"gmail.undo_seconds": 0})
    rig.grant("gmail")
    return rig


def _mail_with(gmail: GoogleRig, *attachments: Attachment) -> str:
    message = gmail.fake.add_message(
        "Sam <sam@example.com>", "me@example.com", "Papers", "See attached.", attachments=list(attachments)
    )
    return str(message.id)


def _listed(gmail: GoogleRig, message_id: str) -> dict[str, dict[str, object]]:
    read = gmail.run(GmailRead(), message_id=message_id)
    return {a["filename"]: a for a in read.content["message"]["attachments"]}


def test_gmail_read_lists_name_type_size_and_id_of_each_attachment(gmail: GoogleRig) -> None:
    pdf = make_pdf(["Budget 42,000 EUR"])
    message_id = _mail_with(
        gmail, Attachment("q3.pdf", pdf, "application/pdf"), Attachment("a.txt", b"hi", "text/plain")
    )
    listed = _listed(gmail, message_id)
    assert set(listed) == {"q3.pdf", "a.txt"}
    assert listed["q3.pdf"]["mime_type"] == "application/pdf"
    assert listed["q3.pdf"]["size"] == len(pdf)
    assert listed["q3.pdf"]["attachment_id"]


def test_reads_the_text_of_pdf_docx_html_and_plain_attachments_as_untrusted(gmail: GoogleRig) -> None:
    message_id = _mail_with(
        gmail,
        Attachment("q3.pdf", make_pdf(["Budget 42,000 EUR"], ["Owner: Sam"]), "application/pdf"),
        Attachment("notes.docx", make_docx(["Offsite in Lisbon"], [["Who", "What"], ["Lee", "Venue"]]), DOCX_MIME),
        Attachment("page.html", b"<html><body><h1>Agenda</h1><p>Item&nbsp;one</p><script>x()</script></body></html>", "text/html"),
        Attachment("plain.txt", "Grüße".encode(), "text/plain"),
    )  # fmt: skip
    listed = _listed(gmail, message_id)
    results = {
        name: gmail.run(GmailAttachment(), message_id=message_id, attachment_id=str(item["attachment_id"]))
        for name, item in listed.items()
    }
    pdf = results["q3.pdf"]
    assert pdf.content["format"] == "pdf" and pdf.content["pages"] == 2
    assert "Budget 42,000 EUR" in pdf.content["text"] and "Owner: Sam" in pdf.content["text"]
    assert "Offsite in Lisbon" in results["notes.docx"].content["text"]
    assert "Lee | Venue" in results["notes.docx"].content["text"]
    html = results["page.html"].content["text"]
    assert "Agenda" in html and "Item" in html and "x()" not in html
    assert results["plain.txt"].content["text"] == "Grüße"
    for result in results.values():
        assert result.untrusted is True
        assert result.taint is not None and "sam@example.com" in result.taint
    assert gmail.fake.violations == []


def test_save_as_writes_the_text_to_the_virtual_file_system_with_its_taint(gmail: GoogleRig) -> None:
    message_id = _mail_with(gmail, Attachment("q3.pdf", make_pdf(["Budget 42,000 EUR"]), "application/pdf"))
    item = _listed(gmail, message_id)["q3.pdf"]
    result = gmail.run(
        GmailAttachment(),
        message_id=message_id,
        attachment_id=str(item["attachment_id"]),
        save_as="docs/q3.txt",
    )
    assert result.content["saved_to"] == "/docs/q3.txt" and "text" not in result.content
    stored = gmail.store.vfs.read(gmail.user_id, "/docs/q3.txt")
    assert stored is not None and "Budget 42,000 EUR" in stored.content
    assert stored.taint and "q3.pdf" in stored.taint and "sam@example.com" in stored.taint


def test_limits_and_unreadable_attachments_fail_with_one_clear_line(gmail: GoogleRig) -> None:
    big = b"x" * 4096
    message_id = _mail_with(
        gmail,
        Attachment("big.txt", big, "text/plain"),
        Attachment("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png"),
        Attachment("broken.pdf", b"%PDF-1.4 not really", "application/pdf"),
    )
    listed = _listed(gmail, message_id)
    gmail.reload({"gmail.undo_seconds": 0, "gmail.attachment_max_bytes": 2048})
    with pytest.raises(ToolError, match=r"big.txt is 4.0 KiB; gmail.attachment_max_bytes allows 2.0 KiB"):
        gmail.run(
            GmailAttachment(), message_id=message_id, attachment_id=str(listed["big.txt"]["attachment_id"])
        )
    with pytest.raises(ToolError, match="cannot read the text of a image/png attachment"):
        gmail.run(
            GmailAttachment(), message_id=message_id, attachment_id=str(listed["photo.png"]["attachment_id"])
        )
    with pytest.raises(ToolError, match="the PDF could not be read"):
        gmail.run(
            GmailAttachment(), message_id=message_id, attachment_id=str(listed["broken.pdf"]["attachment_id"])
        )
    with pytest.raises(ToolError, match=r"has no attachment 'nope'; its attachments: big\.txt"):
        gmail.run(GmailAttachment(), message_id=message_id, attachment_id="nope")


def test_a_docx_zip_bomb_is_refused_before_parsing() -> None:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (MAX_DOCX_UNPACKED_BYTES + 1))
    with pytest.raises(ToolError, match="would unpack to 50 MiB: refused"):
        extract_text(out.getvalue(), DOCX_MIME, "bomb.docx")


def test_the_reader_is_chosen_by_type_then_name_then_content() -> None:
    assert kind_of("application/octet-stream", "x.bin", b"%PDF-1.7") == "pdf"
    assert kind_of("application/octet-stream", "Report.DOCX", b"PK") == "docx"
    assert kind_of("text/csv", "a.csv", b"a,b") == "text"
    assert kind_of("image/png", "a.png", b"\x89PNG") is None


def test_forward_previews_every_attachment_and_sends_them(gmail: GoogleRig) -> None:
    pdf = make_pdf(["Budget 42,000 EUR"])
    message_id = _mail_with(gmail, Attachment("q3.pdf", pdf, "application/pdf"))
    arguments = {"message_id": message_id, "to": ["lee@example.com"], "note": "FYI, Lee."}
    preview = gmail.preview(GmailForward(), **arguments)
    assert preview.startswith("Forward this email:\nTo: lee@example.com\nSubject: Fwd: Papers\n\nFYI, Lee.")
    assert "From: Sam <sam@example.com>" in preview and "See attached." in preview
    assert "Attachments (1, " in preview and "q3.pdf (application/pdf, " in preview
    assert gmail.fake.sent == []  # the preview sends nothing
    gmail.run(GmailForward(), **arguments)
    [sent] = gmail.fake.sent
    assert sent.to == ["lee@example.com"] and sent.subject == "Fwd: Papers"
    assert sent.attachments == ["q3.pdf"] and "FYI, Lee." in sent.body
    assert gmail.fake.violations == []
