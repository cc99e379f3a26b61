"""Mail for the mixed folder: MBOX files of several messages with PDF, DOCX and photo attachments,
Outlook .msg files with a PDF attached, and single .eml messages. A message is cited by its number
in the file; an attachment by its name and, in a PDF, the page."""

from __future__ import annotations

import tempfile
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

from fixtures import mail_files as mf
from fixtures.msg_file import write_msg
from mixed_fixtures import jpeg_bytes, photo_pixels, photo_text

SUBJECTS = ["Minutes from Tuesday", "Quote for the roof survey", "Documents for the audit", "Travel plans",
            "Photos from the site visit", "Your invoice", "Updated schedule", "Contract draft", "Meeting notes",
            "Question about the delivery", "Holiday cover", "Receipts for last month", "Board pack",
            "Supplier list", "Budget questions", "Handover notes"]
BOX_LABELS = ("mbox body", "mbox › pdf", "mbox › docx", "mbox › photo")
DOCX = "vnd.openxmlformats-officedocument.wordprocessingml.document"


def _address(name: str) -> str:
    return f"{name} <{name.lower().replace(' ', '.')}@example.org>"


def _message(b, subject: str, body: str, when: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"], msg["Date"] = subject, format_datetime(when)
    msg["From"], msg["To"] = _address(b.entities.take("person")), _address(b.entities.take("person"))
    msg.set_content(body)
    return msg


def _pdf(b, label: str | None, rel: str, number: int, heading: tuple[str, ...], name: str) -> bytes:
    """Three pages; a fact (when ``label``) on one of them."""
    at = b.rng.randrange(3)
    pages = []
    for p in range(3):
        sentence = b.fact(label, rel, number, heading + (name, f"page {p + 1}")) if label and p == at else b.take_near()
        pages.append("\n\n".join(b.with_sentence(b.prose.text(1000), sentence)))
    return mf.pdf_bytes(pages)


def mailboxes(b) -> None:
    with tempfile.TemporaryDirectory(prefix="archivist-mixed-mail-") as scratch:
        _mailboxes(b, Path(scratch))
    _outlook(b)
    _eml(b)


def _mailboxes(b, scratch: Path) -> None:
    n, per_box = b.count("mbox"), b.sized(10)
    spots = b.spots(n, per_box, len(BOX_LABELS) * b.per_place)
    label_of = {spot: BOX_LABELS[i // b.per_place] for i, spot in enumerate(spots)}
    for f in range(n):
        rel = f"mail/{['inbox', 'archive', 'projects', 'sent'][f % 4]}-{f + 1}.mbox"
        messages = []
        for m in range(per_box):
            number, label = m + 1, label_of.get((f, m))
            subject = b.rng.choice(["", "Re: ", "Fwd: "]) + b.rng.choice(SUBJECTS)
            sentence = b.fact(label, rel, number, (subject,)) if label == "mbox body" else b.take_near()
            body = "\n\n".join(b.with_sentence(b.prose.text(b.rng.randint(300, 1200)), sentence))
            msg = _message(b, subject, body, datetime(2024, 1 + f % 12, 1 + m % 28, 9, m, tzinfo=timezone.utc))
            if label == "mbox › pdf" or b.rng.random() < 0.25:
                name = f"{b.rng.choice(['minutes', 'quote', 'report', 'statement'])}-{m + 1:02}.pdf"
                msg.add_attachment(_pdf(b, label if label == "mbox › pdf" else None, rel, number, (subject,), name),
                                   maintype="application", subtype="pdf", filename=name)
            if label == "mbox › docx" or b.rng.random() < 0.15:
                name = f"{b.rng.choice(['draft', 'notes', 'letter', 'agenda'])}-{m + 1:02}.docx"
                sentence = b.fact(label, rel, number, (subject, name)) if label == "mbox › docx" else None
                paras = b.with_sentence(b.prose.text(900), sentence)
                msg.add_attachment(mf.docx_bytes(paras, scratch / name), maintype="application", subtype=DOCX,
                                   filename=name)
            if label == "mbox › photo":
                name = f"IMG_{2000 + 13 * m + f}.jpg"
                sentence = b.fact(label, rel, number, (subject, name))
                photo = jpeg_bytes(photo_pixels(photo_text(b, sentence), seed=100 + m))
                msg.add_attachment(photo, maintype="image", subtype="jpeg", filename=name)
            messages.append(msg)
        mf.write_mbox(b.path(rel, "mbox"), messages)


def _outlook(b) -> None:
    n = b.count("msg")
    facts = {f for f, _ in b.spots(n, 1)}
    for f in range(n):
        rel = f"mail/outlook/message-{f + 1:02}.msg"
        subject = b.rng.choice(SUBJECTS)
        sender, to = _address(b.entities.take("person")), _address(b.entities.take("person"))
        when = format_datetime(datetime(2024, 5, 1 + f % 28, 14, 0, tzinfo=timezone.utc))
        headers = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {when}\r\n\r\n"
        name = f"attachment-{f + 1}.pdf"
        pdf = _pdf(b, "msg › pdf" if f in facts else None, rel, 1, (subject,), name)
        body = "\n\n".join(b.prose.text(500))
        write_msg(b.path(rel, "msg"), subject, body, headers, [(name, pdf)])


def _eml(b) -> None:
    n = b.count("eml")
    facts = {f for f, _ in b.spots(n, 1)}
    for f in range(n):
        rel = f"mail/saved/message-{f + 1:02}.eml"
        subject = b.rng.choice(SUBJECTS)
        sentence = b.fact("eml body", rel, 1, (subject,)) if f in facts else b.take_near()
        body = "\n\n".join(b.with_sentence(b.prose.text(b.rng.randint(400, 1500)), sentence))
        mf.write_eml(b.path(rel, "eml"), _message(b, subject, body, datetime(2024, 6, 1 + f, 8, 0, tzinfo=timezone.utc)))
