"""Text of e-mail: one message (.eml) or a mailbox of them (.mbox), attachments included.

The ``page`` of every Section is the message's number in the file (1 for an .eml), so a citation
reads "message 3". A message gives a Section headed (subject,) whose text starts
"From: … · To: … · Date: …" followed by its body (text/plain preferred, else the HTML converted
by html_text.py). Each attachment is parsed by the same dispatcher as a file (``parse_attachment``,
given by parse.py) and its Sections are re-headed (subject, attachment name[, "page 2"], …) and
paged by the message number; a message/rfc822 attachment is read as a message. OCR of attached
images and scans stops when the file's time budget is spent, and what it left is counted
(mail_attachments.py): the messages are always read. The locator unit is
the whole text built here (every Section of every message, joined by blank lines), so the text
preview finds a passage by its offsets like in any unpaged file. Each message of the file also
gives an Envelope (sender, recipients, date in UTC) by its number, for search filters.

A damaged part (unknown charset, broken base64, an attachment that cannot be read) costs a
warning, never the rest of the message; a message that cannot be parsed costs a warning, never
the rest of the mailbox. An MBOX is split into messages while it is read (one message in memory
at a time, besides the text built so far).
"""

from __future__ import annotations

import email.errors
import logging
import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.header import Header, decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import BinaryIO

from ..locator import place_long
from .files import mb
from .html_text import parse_html
from .model import Envelope, ParsedDocument, ParseError
from .sections import cut_sections

log = logging.getLogger(__name__)

KIND = "mail"
# A message inside a message inside … : deeper ones are left out with a warning (a mail bomb of
# nested forwards must not recurse without end).
MAX_DEPTH = 4
NO_SUBJECT = "(no subject)"

# (attachment file name, its bytes, nesting depth) → its parsed text, with the warnings to give for
# it (an attachment without text says why: mail_attachments.AttachmentReader); raises ParseError.
ParseAttachment = Callable[[str, bytes, int], ParsedDocument]

# compat32 keeps headers as strings until asked: policy.default parses every header on every
# read, which made parsing a 30 MB mailbox take 12 s instead of 4 (one message a millisecond
# or so); headers and names are decoded here (_decoded_header).
_PARSER = BytesParser(policy=policy.compat32)
# Defects that mean text was lost or garbled (others, like a missing MIME-Version, do not).
_DAMAGE = (
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
)


class _Text:
    """The locator unit being built: pieces joined by blank lines, each with its page and heading."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, tuple[str, ...], int]] = []
        self.pos = 0
        self.envelopes: list[Envelope] = []

    def add(self, text: str, page: int, heading: tuple[str, ...]) -> bool:
        text = text.strip()
        if not text:
            return False
        self.parts.append(text)
        self.spans.append((self.pos, self.pos + len(text), heading, page))
        self.pos += len(text) + 2
        return True

    def document(self, title: str | None, warnings: list[str]) -> ParsedDocument:
        full = "\n\n".join(self.parts)
        sections = [s for start, end, heading, page in self.spans
                    for s in cut_sections(full, [(start, end, heading)], page=page)]
        return ParsedDocument(kind=KIND, sections=sections, title=title, warnings=tuple(warnings),
                              envelopes=tuple(self.envelopes))

    def drop_last(self) -> None:
        self.parts.pop()
        self.pos = self.spans.pop()[0]


def parse_eml(data: bytes, parse_attachment: ParseAttachment, depth: int = 0) -> ParsedDocument:
    """One message (.eml, or an attached .eml file)."""
    message = _PARSER.parsebytes(data)
    if not _looks_like_mail(message):
        raise ParseError("failed", "unreadable e-mail: no message headers found")
    out, warnings = _Text(), []
    subject = _subject(message)
    _add_message(out, warnings, message, 1, (), parse_attachment, depth)
    return out.document(subject if subject != NO_SUBJECT else None, warnings)


def parse_msg(data: bytes, parse_attachment: ParseAttachment, depth: int = 0) -> ParsedDocument:
    """An Outlook message (.msg), converted to a MIME message by extract-msg and read like one."""
    message = _PARSER.parsebytes(msg_as_mime(data))
    out, warnings = _Text(), []
    subject = _subject(message)
    _add_message(out, warnings, message, 1, (), parse_attachment, depth)
    return out.document(subject if subject != NO_SUBJECT else None, warnings)


def msg_as_mime(data: bytes) -> bytes:
    """An Outlook message (.msg) as the bytes of a MIME message (the preview reads its headers)."""
    import extract_msg  # heavy (~0.3 s): only when an Outlook message comes
    from extract_msg.exceptions import ExMsgBaseException

    logging.getLogger("extract_msg").setLevel(logging.ERROR)  # it logs every unknown property
    try:
        with extract_msg.openMsg(data, strict=False) as msg:
            if not hasattr(msg, "asEmailMessage"):  # a calendar item, contact, task …
                raise ParseError("skipped", f"Outlook item that is not a message ({type(msg).__name__})")
            # Its parts mix legacy MIME classes: serialised and parsed again, it reads like an .eml.
            return msg.asEmailMessage().as_bytes(policy=policy.SMTP)
    except ParseError:
        raise
    except (ExMsgBaseException, OSError, ValueError, KeyError, TypeError) as exc:
        raise ParseError("failed", f"unreadable Outlook message: {exc}") from None


def parse_mbox(fh: BinaryIO, parse_attachment: ParseAttachment, max_bytes: int,
               depth: int = 0) -> ParsedDocument:
    """Every message of an MBOX file, numbered from 1 in file order."""
    out, warnings, number = _Text(), [], 0
    for number, (_offset, raw) in enumerate(split_mbox(fh, max_bytes), start=1):
        try:
            message = _PARSER.parsebytes(raw)
            _add_message(out, warnings, message, number, (), parse_attachment, depth)
        except (MemoryError, ParseError):
            raise
        except Exception as exc:  # one bad message never loses the rest of the mailbox
            log.warning("mbox message %d: %s", number, exc, exc_info=True)
            warnings.append(f"message {number}: unreadable ({type(exc).__name__}: {exc})")
    if number == 0:
        raise ParseError("skipped", "no messages in this mailbox")
    return out.document(None, warnings)


def split_mbox(fh: BinaryIO, max_bytes: int, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """Each message's offset (where its "From " line begins) and bytes (without that line), from
    the message at ``start`` on: a "From " line at the start of the file or after a blank line
    begins a message, as mbox writers separate them. The preview reads one message of a big
    mailbox by its offset (desktop/preview_mail.py)."""
    fh.seek(start)
    first = fh.readline(1000)
    if not first.startswith(b"From "):
        raise ParseError("failed", "unreadable mailbox: it does not start with a \"From \" line")
    lines: list[bytes] = []
    size, previous_blank = 0, True
    at, position = start, start + len(first)
    for line in fh:
        if line.startswith(b"From ") and previous_blank:
            yield at, b"".join(lines)
            lines, size, at = [], 0, position
            previous_blank = False
            position += len(line)
            continue
        position += len(line)
        if line.startswith(b">From "):  # mboxrd/mboxo escaping of a body line
            line = line[1:]
        size += len(line)
        if size > max_bytes:
            raise ParseError("skipped", f"a message is too large (limit {mb(max_bytes)} MB)")
        lines.append(line)
        previous_blank = not line.strip()
    yield at, b"".join(lines)


def _looks_like_mail(message: Message) -> bool:
    return any(message.get(name) is not None for name in ("From", "To", "Subject", "Date", "Message-ID"))


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return _decoded_header(value) if value is not None else ""


def _decoded_header(value) -> str:
    """A header's text with its encoded words (=?utf-8?q?…?=) decoded, on one line."""
    if isinstance(value, Header):  # raw 8-bit bytes in it, which str() would turn into "�"
        value = "".join(_eight_bit(data) for data, _ in decode_header(value))
    try:
        value = str(make_header(decode_header(str(value))))
    except (LookupError, ValueError, UnicodeError, email.errors.HeaderParseError):
        value = str(value)  # an encoded word too broken to decode: its raw text, not nothing
    return " ".join(value.split())


def _sent_at(message: Message) -> int | None:
    """The Date header in seconds since the epoch; None when it is missing or cannot be read (such
    a message matches no date filter). A date without a zone ("-0000") is taken as UTC."""
    value = _header(message, "Date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:  # some tools write ISO 8601 ("2024-03-03 09:30")
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        return int(when.timestamp())
    except (OverflowError, ValueError, OSError):
        return None


def _eight_bit(data: bytes | str) -> str:
    """Header bytes sent without encoding: UTF-8 as RFC 6532 allows, else Latin-1 (old mailers)."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _subject(message: Message) -> str:
    return _header(message, "Subject") or NO_SUBJECT


@dataclass(frozen=True)
class _Leaf:
    """A leaf part, with what is asked of it more than once read once: policy.default parses a
    header again on every read, which made those reads most of the time of a big mailbox."""

    part: Message
    type: str  # content type
    name: str | None  # file name
    inline: bool  # text meant to be read in the message, not a file
    group: int | None  # the multipart/alternative it is a version in


def _add_message(out: _Text, warnings: list[str], message: Message, number: int,
                 outer: tuple[str, ...], parse_attachment: ParseAttachment, depth: int) -> None:
    """The message's own Section, then each attachment's, headed under ``outer`` (the headings of
    the messages it is attached to)."""
    heading = outer + (_subject(message),)
    where = f"message {number}" + (f" › {' › '.join(heading[1:])}" if len(heading) > 1 else "")
    leaves = list(_leaves(message))
    texts, attachments = _parts(leaves)
    text = "\n\n".join(t for leaf in texts if (t := _body_text(leaf, warnings, where).strip()))
    envelope = " · ".join(
        f"{name}: {value}" for name in ("From", "To", "Date") if (value := _header(message, name)))
    if not outer:  # a message of the file, not one attached to it: filters go by its envelope
        out.envelopes.append(Envelope(number, _header(message, "From"), ", ".join(
            value for name in ("To", "Cc") if (value := _header(message, name))), _sent_at(message)))
    count = len(out.parts)
    added = out.add(envelope + "\n\n" + text, number, heading)
    for index, leaf in enumerate(attachments, start=1):
        _add_attachment(out, warnings, leaf, index, number, heading, parse_attachment, depth, where)
    if added and not text and len(out.parts) == count + 1:
        out.drop_last()  # only an envelope: nothing readable ("no text content" for an .eml)
    _warn_damage(message, leaves, warnings, where)


def _parts(leaves: list[_Leaf]) -> tuple[list[_Leaf], list[_Leaf]]:
    """The message's text (the body, plain preferred over its HTML version, then any more inline
    text) and its attachments (files, images, attached messages), each in order."""
    inline = [leaf for leaf in leaves if leaf.inline]
    body = next((leaf for leaf in inline if leaf.type == "text/plain"), None) or next(iter(inline), None)
    versions = {id(leaf) for leaf in inline if body and body.group is not None and leaf.group == body.group}
    texts = [leaf for leaf in inline if leaf is body or id(leaf) not in versions]
    return texts, [leaf for leaf in leaves if not leaf.inline]


def _leaves(part: Message, group: int | None = None) -> Iterator[_Leaf]:
    """Leaf parts; an attached message (message/rfc822) is a leaf, read as a message of its own."""
    content_type = part.get_content_type()
    if content_type.startswith("multipart/"):
        inner = id(part) if content_type == "multipart/alternative" else group
        for sub in part.get_payload() if part.is_multipart() else ():
            yield from _leaves(sub, inner)
        return
    name = part.get_filename()
    inline = (content_type in ("text/plain", "text/html") and name is None
              and part.get_content_disposition() != "attachment")
    yield _Leaf(part, content_type, _decoded_header(name) if name else None, inline, group)


def _body_text(leaf: _Leaf, warnings: list[str], where: str) -> str:
    text = _decoded_text(leaf.part, warnings, where)
    if leaf.type != "text/html" or not text.strip():
        return text
    try:  # a BOM makes html_text.py read it as the UTF-8 it now is, whatever its <meta> says
        html = parse_html(b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass"))
    except ParseError as exc:
        warnings.append(f"{where}: HTML body unreadable ({exc.reason})")
        return ""
    return "\n\n".join(s.text for s in html.sections)


def _decoded_text(part: Message, warnings: list[str], where: str) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset()
    if charset in (None, "us-ascii", "ascii"):  # UTF-8 is a superset; 8-bit text often says ascii
        charset = "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # a charset Python does not know: read it as UTF-8, say so
        warnings.append(f"{where}: unknown charset {charset!r}, read as UTF-8")
        return payload.decode("utf-8", "replace")


def _warn_damage(message: Message, leaves: list[_Leaf], warnings: list[str], where: str) -> None:
    """After the parts were read: decoding is what records a broken base64 as a defect."""
    for leaf in leaves:
        if any(isinstance(d, _DAMAGE) for d in leaf.part.defects):
            warnings.append(f"{where}: a damaged part ({leaf.name or leaf.type}): some of its text may be missing")
    if any(isinstance(d, _DAMAGE) for d in message.defects):
        warnings.append(f"{where}: damaged MIME structure: some parts may be missing")


def _attachment_name(leaf: _Leaf, index: int) -> str:
    if leaf.name:
        return leaf.name
    extension = ".eml" if leaf.type == "message/rfc822" else mimetypes.guess_extension(leaf.type) or ""
    return f"attachment {index}{extension}"


def _add_attachment(out: _Text, warnings: list[str], leaf: _Leaf, index: int, number: int,
                    heading: tuple[str, ...], parse_attachment: ParseAttachment, depth: int,
                    where: str) -> None:
    name, part = _attachment_name(leaf, index), leaf.part
    if depth + 1 > MAX_DEPTH:
        warnings.append(f"{where} › {name}: nested too deep, not read")
        return
    if leaf.type == "message/rfc822":
        inner = part.get_payload()
        if not isinstance(inner, list) or not inner or not isinstance(inner[0], Message):
            warnings.append(f"{where} › {name}: unreadable attached message")
            return
        inner = inner[0]
        _add_message(out, warnings, inner, number, heading, parse_attachment, depth + 1)
        return
    data = part.get_payload(decode=True)
    if not data:
        return
    try:  # images too: read by OCR like image files, while the file's time lasts (mail_attachments.py)
        doc = parse_attachment(name, data, depth + 1)
    except ParseError as exc:
        warnings.append(f"{where} › {name}: {exc.reason}")
        return
    warnings.extend(f"{where} › {name}: {w}" for w in doc.warnings)
    for section in doc.sections:
        place = () if doc.kind == KIND or not section.page else (place_long(doc.kind, section.page),)
        out.add(section.text, number, heading + (name,) + place + section.heading)
