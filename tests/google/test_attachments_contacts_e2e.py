"""Attachments and contacts through the real `pa` against the fake Google (every request checked
against the discovery documents of Gmail v1 and People v1).

A PDF and a DOCX attachment read with `pa tools run gmail_attachment`; a forward with its attachment
waits for approval and goes out through the outbox's undo window; `pa tools authorize contacts`
asks only for the read-only People scopes; "Priya" matching two people makes the model ask.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from pa_cli.testing.fake_google import Attachment, FakeGoogle
from pa_cli.testing.fake_llm import FakeLLM
from pa_cli.tools.google.attachment_text import DOCX_MIME
from tests.agent.scripts import thinking
from tests.conftest import PaRunner
from tests.fixtures.documents import make_docx, make_pdf
from tests.google.test_calendar_cli_e2e import pending, run_tool
from tests.google.test_cli_e2e import Authorization, authorize, google  # noqa: F401 (the fixture)
from tests.google.test_outbox_e2e import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def mail(pa: PaRunner, google: FakeGoogle) -> FakeGoogle:  # noqa: F811
    authorize(pa, google, "gmail")
    return google


def tool_json(pa: PaRunner, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = pa("tools", "run", name, "--args", json.dumps(arguments), "--json")
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def content_of(output: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = output.get("content", output)
    return found


def attachment_ids(pa: PaRunner, message_id: str) -> dict[str, str]:
    read = content_of(tool_json(pa, "gmail_read", {"message_id": message_id}))
    return {a["filename"]: a["attachment_id"] for a in read["message"]["attachments"]}


def test_pdf_and_docx_attachments_are_read_through_pa(pa: PaRunner, mail: FakeGoogle) -> None:
    pdf = make_pdf(["Q3 budget: 42,000 EUR", "Approved by Sam"], ["Next review: March"])
    docx = make_docx(["Offsite notes", "Venue: Lisbon"], [["Who", "Task"], ["Lee", "Flights"]])
    message = mail.add_message(
        "Sam <sam@example.com>",
        "me@example.com",
        "Budget and notes",
        "Both attached.",
        attachments=[
            Attachment("q3.pdf", pdf, "application/pdf"),
            Attachment("offsite.docx", docx, DOCX_MIME),
        ],
    )
    ids = attachment_ids(pa, message.id)
    assert set(ids) == {"q3.pdf", "offsite.docx"}
    read_pdf = tool_json(pa, "gmail_attachment", {"message_id": message.id, "attachment_id": ids["q3.pdf"]})
    pdf_text = content_of(read_pdf)
    assert pdf_text["format"] == "pdf" and pdf_text["pages"] == 2
    assert "Q3 budget: 42,000 EUR" in pdf_text["text"] and "Next review: March" in pdf_text["text"]
    read_docx = tool_json(
        pa, "gmail_attachment", {"message_id": message.id, "attachment_id": ids["offsite.docx"]}
    )
    docx_text = content_of(read_docx)["text"]
    assert "Venue: Lisbon" in docx_text and "Lee | Flights" in docx_text
    plain = pa(
        "tools",
        "run",
        "gmail_attachment",
        "--args",
        json.dumps({"message_id": message.id, "attachment_id": ids["q3.pdf"]}),
    )
    assert plain.returncode == 0 and "Q3 budget" in plain.stdout
    attachment_gets = [r for r in mail.api_requests if "/attachments/" in r.path]
    assert len(attachment_gets) == 3 and mail.violations == []


def test_an_attachment_over_the_limit_is_a_one_line_error(pa: PaRunner, mail: FakeGoogle) -> None:
    message = mail.add_message("sam@example.com", "me@example.com", "Big", "x", attachments=[("big.txt", b"a" * 5000, "text/plain")])  # fmt: skip
    assert pa("config", "set", "gmail.attachment_max_bytes", "2048").returncode == 0
    [att] = attachment_ids(pa, message.id).values()
    result = pa(
        "tools",
        "run",
        "gmail_attachment",
        "--args",
        json.dumps({"message_id": message.id, "attachment_id": att}),
    )
    assert result.returncode == 1
    assert "big.txt is 4.9 KiB; gmail.attachment_max_bytes allows 2.0 KiB" in result.stderr
    assert "Traceback" not in result.stderr
    assert not [r for r in mail.api_requests if "/attachments/" in r.path]  # refused before the download


@pytest.mark.timeout(300)
def test_a_forward_with_its_attachment_waits_for_approval_then_the_undo_window(
    pa: PaRunner, mail: FakeGoogle
) -> None:
    pdf = make_pdf(["Signed contract"])
    message = mail.add_message(
        "Sam <sam@example.com>", "me@example.com", "Contract", "Signed copy attached.",
        attachments=[Attachment("contract.pdf", pdf, "application/pdf")],
    )  # fmt: skip
    assert pa("config", "set", "gmail.undo_seconds", "2").returncode == 0
    approval, preview = run_tool(
        pa, "gmail_forward", {"message_id": message.id, "to": ["lee@example.com"], "note": "For your files."}
    )
    assert "  Forward this email:\n  To: lee@example.com\n  Subject: Fwd: Contract\n" in preview
    assert "For your files." in preview and "Signed copy attached." in preview
    assert "Attachments (1, " in preview and "contract.pdf (application/pdf, " in preview
    assert pending() == [approval] and mail.sent == []
    approved = pa("approve", approval)
    assert approved.returncode == 0, approved.stderr
    assert mail.sent == []  # in its undo window
    assert wait_for(lambda: len(mail.sent) == 1)
    [sent] = mail.sent
    assert sent.to == ["lee@example.com"] and sent.subject == "Fwd: Contract"
    assert sent.attachments == ["contract.pdf"] and "For your files." in sent.body
    assert mail.violations == []


def test_a_forward_can_be_undone_in_its_window(pa: PaRunner, mail: FakeGoogle) -> None:
    message = mail.add_message("sam@example.com", "me@example.com", "Notes", "n", attachments=[("n.txt", b"n", "text/plain")])  # fmt: skip
    assert pa("config", "set", "gmail.undo_seconds", "30").returncode == 0
    approval, _ = run_tool(pa, "gmail_forward", {"message_id": message.id, "to": ["lee@example.com"]})
    assert pa("approve", approval).returncode == 0
    undone = pa("undo")
    assert undone.returncode == 0, undone.stderr
    assert "forward of message" in undone.stdout
    assert mail.sent == []


def test_authorize_contacts_asks_only_for_read_only_people_scopes(pa: PaRunner, google: FakeGoogle) -> None:  # noqa: F811
    authorize(pa, google, "gmail")
    auth = Authorization(pa, "contacts")
    query = parse_qs(urlparse(auth.url).query)
    assert query["scope"][0].split() == [
        "https://www.googleapis.com/auth/contacts.readonly",
        "https://www.googleapis.com/auth/contacts.other.readonly",
    ]
    assert query["include_granted_scopes"] == ["true"]  # incremental, like gmail and calendar
    google.browse(auth.url)
    code, _, err = auth.finish()
    assert code == 0, err and "contacts authorized" in err
    tools = {t["name"]: t for t in json.loads(pa("tools", "list", "--json").stdout)["tools"]}
    assert tools["contacts_search"]["authorized"] is True
    assert tools["gmail_read"]["authorized"] is True  # the other service's grant is untouched
    assert tools["calendar_list_events"]["authorized"] is False


def test_priya_matches_two_people_so_the_model_is_told_to_ask(
    pa: PaRunner,
    google: FakeGoogle,  # noqa: F811
    fake_llm: FakeLLM,
) -> None:
    authorize(pa, google, "gmail")
    authorize(pa, google, "contacts")
    google.people.add_contact("Priya Raman", "priya.raman@example.com", organization="Acme")
    google.people.add_contact("Priya Shah", "priya@shah.example", other=True)
    fake_llm.reply_text(thinking(None, ("contacts_search", {"query": "Priya"})))
    fake_llm.reply_text(thinking("Which Priya: Priya Raman (priya.raman@example.com) or Priya Shah?"))
    result = pa("ask", "--json", "email Priya the notes")
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["response"].startswith("Which Priya") and output["tools_used"] == ["contacts_search"]
    second = fake_llm.requests[1]
    seen = json.dumps(second.messages)
    assert "priya.raman@example.com" in seen and "priya@shah.example" in seen
    assert "different people match" in seen and "Ask the user which one they mean" in seen
    assert google.sent == [] and pending() == []
    searches = [
        r for r in google.api_requests if r.path in ("/v1/people:searchContacts", "/v1/otherContacts:search")
    ]
    assert len(searches) == 2 and google.violations == []
