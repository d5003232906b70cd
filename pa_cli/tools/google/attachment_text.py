"""The text of a mail attachment: plain text, HTML, PDF (pypdf) and DOCX (python-docx).

Every parser gets bytes that someone outside sent, so each is bounded: the caller
checks the download size first (``gmail.attachment_max_bytes``), PDFs are read for
at most ``MAX_PDF_PAGES`` pages, and a DOCX (a zip) is refused when its members
would unpack to more than ``MAX_DOCX_UNPACKED_BYTES`` (a zip bomb). What comes out
is data for the model, never instructions: the tool marks it untrusted.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Literal

from pa_cli.tools.base import ToolError
from pa_cli.tools.google.mime import html_to_text

Kind = Literal["text", "html", "pdf", "docx"]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_PDF_PAGES = 200
MAX_DOCX_UNPACKED_BYTES = 50 * 1024 * 1024
READABLE = "text/plain (and other text/*), HTML, PDF and DOCX"

_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class AttachmentText:
    kind: Kind
    text: str
    pages: int | None = None


def kind_of(mime_type: str, filename: str, data: bytes) -> Kind | None:
    """Which reader fits: the declared type, the file name, then the bytes themselves (senders mislabel)."""
    mime = mime_type.lower().split(";")[0].strip()
    name = filename.lower()
    if mime == "application/pdf" or name.endswith(".pdf") or data.startswith(b"%PDF-"):
        return "pdf"
    if mime == DOCX_MIME or name.endswith(".docx"):
        return "docx"
    if mime in ("text/html", "application/xhtml+xml") or name.endswith((".html", ".htm")):
        return "html"
    if mime.startswith("text/") or name.endswith((".txt", ".md", ".csv", ".log")):
        return "text"
    return None


def _decode(data: bytes, mime_type: str) -> str:
    match = _CHARSET.search(mime_type)
    charset = match.group(1) if match else "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def pdf_text(data: bytes) -> tuple[str, int]:
    """The text of every page (at most ``MAX_PDF_PAGES``) and the page count."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ToolError("the PDF is encrypted (password protected): its text cannot be read")
        pages = reader.pages
        texts = [pages[i].extract_text() or "" for i in range(min(len(pages), MAX_PDF_PAGES))]
        count = len(pages)
    except ToolError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ToolError(f"the PDF could not be read ({type(exc).__name__})") from None
    if count > MAX_PDF_PAGES:
        texts.append(f"[only the first {MAX_PDF_PAGES} of {count} pages were read]")
    return "\n\n".join(t.strip() for t in texts if t.strip()), count


def docx_text(data: bytes) -> str:
    """Paragraphs, then table cells row by row, of a Word document."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ToolError("the DOCX file is damaged (not a zip archive)") from None
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise ToolError(
            f"the DOCX file would unpack to {unpacked // (1024 * 1024)} MiB: refused (limit "
            f"{MAX_DOCX_UNPACKED_BYTES // (1024 * 1024)} MiB)"
        )
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ToolError(f"the DOCX file could not be read ({type(exc).__name__})") from None
    lines = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            if any(cells):
                lines.append(" | ".join(cells))
    return "\n".join(lines)


def extract_text(data: bytes, mime_type: str, filename: str) -> AttachmentText:
    """The readable text of an attachment, or ToolError naming what can be read."""
    kind = kind_of(mime_type, filename, data)
    if kind is None:
        raise ToolError(f"cannot read the text of a {mime_type or 'binary'} attachment; readable: {READABLE}")
    if kind == "pdf":
        text, pages = pdf_text(data)
        return AttachmentText("pdf", text, pages)
    if kind == "docx":
        return AttachmentText("docx", docx_text(data))
    decoded = _decode(data, mime_type)
    if kind == "html":
        return AttachmentText("html", html_to_text(decoded))
    return AttachmentText("text", decoded)
