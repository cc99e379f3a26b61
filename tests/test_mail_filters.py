"""Mail filtered by sender, recipient and date: each message of a file gives its envelope (from,
to/cc, date in UTC), kept beside the index by content and message number, and a search narrowed
to some senders or days returns only passages of those messages, attachments included. Real
parsers, model and LanceDB; fixtures made with the stdlib email package."""

from __future__ import annotations

from datetime import datetime, timezone

from core.parsing import parse_file
from tests.fixtures import mail_files as mf


def utc(*args) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


# -- what the parser reports ----------------------------------------------------------------------

def test_each_message_of_a_mailbox_gives_its_sender_recipients_and_date_in_utc(tmp_path):
    late = mf.message("Late", "Sent from a laptop.", sender="Carla <carla@example.net>", to="Bo <bo@example.org>")
    late.replace_header("Date", "Sun, 03 Mar 2024 23:30:00 -0500")  # already 4 March in UTC
    late["Cc"] = "Dan <dan@example.com>"
    broken = mf.message("Broken date", "When was this?")
    broken.replace_header("Date", "the day after tomorrow")
    undated = mf.message("No date", "Whenever.")
    del undated["Date"]
    forward = mf.forwarding_message()  # its attached message's sender is not the file's message's
    box = mf.write_mbox(tmp_path / "box.mbox", [mf.message("First", "Hello."), late, broken, undated, forward])
    envelopes = parse_file(str(box)).envelopes
    assert [(e.page, e.sender, e.recipients, e.sent_at) for e in envelopes] == [
        (1, "Ana Silva <ana@example.org>", "Bo Lind <bo@example.org>", utc(2024, 3, 3, 9, 30)),
        (2, "Carla <carla@example.net>", "Bo <bo@example.org>, Dan <dan@example.com>", utc(2024, 3, 4, 4, 30)),
        (3, "Ana Silva <ana@example.org>", "Bo Lind <bo@example.org>", None),
        (4, "Ana Silva <ana@example.org>", "Bo Lind <bo@example.org>", None),
        (5, "Ana Silva <ana@example.org>", "Bo Lind <bo@example.org>", utc(2024, 3, 3, 9, 30)),
    ]


def test_headers_written_in_raw_utf8_are_read_as_utf8(tmp_path):
    raw = ("From: José Núñez <jose@example.org>\r\nTo: Björn <bjorn@example.org>\r\n"
           "Subject: Café 2024\r\nDate: Sun, 03 Mar 2024 09:30:00 +0000\r\n\r\nThe kettle is fixed.\r\n")
    path = tmp_path / "utf8.eml"
    path.write_bytes(raw.encode("utf-8"))  # RFC 6532: UTF-8 in headers, no encoded words
    doc = parse_file(str(path))
    (envelope,) = doc.envelopes
    assert (envelope.sender, envelope.recipients) == ("José Núñez <jose@example.org>", "Björn <bjorn@example.org>")
    assert doc.title == "Café 2024"
    assert doc.sections[0].text.startswith("From: José Núñez <jose@example.org> · To: Björn")
