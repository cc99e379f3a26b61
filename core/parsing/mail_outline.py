"""What one message says about itself, read the way mail.py reads it: its header fields decoded,
and its attachments in the parser's order under the names the parser gives them (the names its
Sections' headings and its warnings carry). The preview shows a cited message with these
(desktop/preview_mail.py); they come from mail.py's own helpers so the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from .mail import _PARSER, _attachment_name, _header, _leaves, _parts, _subject

FIELDS = ("From", "To", "Cc", "Date")


@dataclass(frozen=True)
class Attachment:
    name: str  # as headings and warnings name it: its file name, or "attachment 2.pdf"
    type: str  # content type
    # An attached message's Sections are headed by its subject, not by the attachment's name.
    subject: str | None = None

    @property
    def heading(self) -> str:
        """What the second place of its Sections' headings says."""
        return self.subject if self.subject is not None else self.name


@dataclass(frozen=True)
class Outline:
    subject: str  # "(no subject)" without one, as the headings say
    fields: tuple[tuple[str, str], ...]  # (name, value) of the FIELDS present, in that order
    attachments: tuple[Attachment, ...]

    def field(self, name: str) -> str:
        return dict(self.fields).get(name, "")


def outline(data: bytes) -> Outline:
    """The outline of a message given as MIME bytes (an .eml, an MBOX message, a converted .msg)."""
    message = _PARSER.parsebytes(data)
    _texts, attached = _parts(list(_leaves(message)))
    attachments = []
    for index, leaf in enumerate(attached, start=1):
        inner = leaf.part.get_payload() if leaf.type == "message/rfc822" else None
        subject = _subject(inner[0]) if isinstance(inner, list) and inner else None
        attachments.append(Attachment(_attachment_name(leaf, index), leaf.type, subject))
    fields = tuple((name, value) for name in FIELDS if (value := _header(message, name)))
    return Outline(_subject(message), fields, tuple(attachments))
