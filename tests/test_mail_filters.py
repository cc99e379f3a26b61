"""Mail filtered by sender, recipient and date: each message of a file gives its envelope (from,
to/cc, date in UTC), kept beside the index by content and message number, and a search narrowed
to some senders or days returns only passages of those messages, attachments included. Real
parsers, model and LanceDB; fixtures made with the stdlib email package."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from core import parts
from core.ipc.client import ask_instance
from core.ipc.server import InstanceServer
from core.manifest import INDEXED, PENDING
from core.parsing import parse_file
from core.parsing.formats import READER_VERSIONS
from core.parsing.model import Envelope
from core.scope import Scope
from core.search import Filters, MessageInfo
from helpers import bump_mtime, synced, write
from test_cli_instance import cli
from test_mail import outlook_msg
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


def test_an_outlook_message_gives_its_envelope_too(tmp_path):
    (envelope,) = parse_file(str(outlook_msg(tmp_path / "invoice.msg"))).envelopes
    assert envelope == Envelope(1, "Ana Silva <ana@example.org>", "Bo Lind <bo@example.org>", utc(2024, 3, 3, 9, 30))


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


# -- search narrowed by the envelope, end to end --------------------------------------------------

FACT = "The boiler inspection at the Quay Street depot is booked for the ninth of October."


def dated(msg, when: datetime | str):
    msg.replace_header("Date", when if isinstance(when, str) else format_datetime(when))
    return msg


def inbox_messages(tmp_path) -> list:
    """1 Ana → Bo with a PDF attached; 2 Carla → Dan, Cc Bo; 3 Ana → Erik; 4 Ana → Bo, bad date.
    The same sentence is in 1, 2 and 4."""
    first = dated(mf.message("Boiler", FACT), datetime(2024, 1, 10, 9, 30, tzinfo=timezone.utc))
    first.add_attachment(mf.pdf_bytes(["Cover page, nothing to see.", mf.PDF_FACT]),
                         maintype="application", subtype="pdf", filename="invoice.pdf")
    second = dated(mf.message("Re: Boiler", f"Confirming: {FACT}", sender="Carla Rossi <carla@example.net>",
                              to="Dan <dan@example.com>"), datetime(2024, 5, 20, 12, 0, tzinfo=timezone.utc))
    second["Cc"] = "Bo Lind <bo@example.org>"
    third = dated(mf.message("Shed", "The garden shed needs a new roof before winter.", to="Erik <erik@example.com>"),
                  datetime(2024, 8, 1, 8, 0, tzinfo=timezone.utc))
    fourth = dated(mf.message("Boiler again", f"Reminder. {FACT}"), "sometime next week")
    return [first, second, third, fourth]


@pytest.fixture
def mailbox(docs, tmp_path):
    box = mf.write_mbox(docs / "inbox.mbox", inbox_messages(tmp_path))
    note = dated(mf.message("Hello", "Carla's own note about the tram strike on Monday.",
                            sender="Carla Rossi <carla@example.net>"), datetime(2024, 5, 20, 7, 0, tzinfo=timezone.utc))
    mf.write_eml(docs / "carla.eml", note)
    write(docs / "notes.md", f"# Notes\n\n{FACT}\n")  # not mail: never passes a mail filter
    return box


def found(archivist, query: str = FACT, **filters) -> set[tuple[str, int | None]]:
    """(file name, message) of every passage a filtered search can return (k is above their count)."""
    hits = archivist.search(query, k=50, per_file=50, filters=Filters(**filters)).hits
    return {(os.path.basename(h.path), h.page) for h in hits}


def inbox(*numbers) -> set[tuple[str, int]]:
    return {("inbox.mbox", n) for n in numbers}


def test_sender_recipient_and_dates_narrow_a_search_to_those_messages(mailbox, docs, make_archivist):
    archivist = synced(make_archivist, docs)
    assert found(archivist) == inbox(1, 2, 3, 4) | {("carla.eml", 1), ("notes.md", None)}
    assert found(archivist, sender="carla") == inbox(2) | {("carla.eml", 1)}
    assert found(archivist, sender="EXAMPLE.ORG") == inbox(1, 3, 4)  # part of an address, any case
    assert found(archivist, sender="ana silva") == inbox(1, 3, 4)  # part of a name
    assert found(archivist, recipient="bo") == inbox(1, 2, 4) | {("carla.eml", 1)}  # Cc counts
    assert found(archivist, recipient="dan@") == inbox(2)
    # Days are whole and both ends count; a message whose date is unreadable passes no date filter.
    assert found(archivist, after=date(2024, 5, 1)) == inbox(2, 3) | {("carla.eml", 1)}
    assert found(archivist, before=date(2024, 5, 20)) == inbox(1, 2) | {("carla.eml", 1)}
    assert found(archivist, before=date(2024, 5, 19)) == inbox(1)
    assert found(archivist, after=date(2024, 1, 1), before=date(2024, 6, 30), sender="ana") == inbox(1)
    assert found(archivist, after=datetime(2024, 5, 20, 8, 0)) == inbox(2, 3)  # a moment, UTC
    assert found(archivist, sender="nobody") == found(archivist, after=date(2025, 1, 1)) == set()
    # Other filters still apply.
    assert found(archivist, sender="carla", path=str(docs / "carla.eml")) == {("carla.eml", 1)}
    assert found(archivist, sender="carla", kinds=("markdown",)) == set()

    top = archivist.search(FACT, filters=Filters(sender="carla")).hits[0]
    assert (top.page, top.heading) == (2, "Re: Boiler") and FACT in top.text
    assert top.message == MessageInfo("Carla Rossi <carla@example.net>", "Dan <dan@example.com>, Bo Lind <bo@example.org>",
                                      "2024-05-20T12:00:00+00:00")
    undated = next(h for h in archivist.search(FACT, k=50, per_file=50).hits if h.page == 4)
    assert undated.message.date is None
    assert next(h for h in archivist.search(FACT).hits if h.kind == "markdown").message is None


def test_an_attachment_is_filtered_with_its_message(mailbox, docs, make_archivist):
    archivist = synced(make_archivist, docs)
    question = "When is the Halvorsen invoice 7731 due?"
    hit = archivist.search(question, filters=Filters(sender="ana", before=date(2024, 1, 31))).hits[0]
    assert (hit.page, hit.heading) == (1, "Boiler > invoice.pdf > page 2") and "8,420 kroner" in hit.text
    assert hit.message.sender == "Ana Silva <ana@example.org>"
    assert all("invoice.pdf" not in h.heading
               for h in archivist.search(question, k=50, filters=Filters(sender="carla")).hits)
    assert all("invoice.pdf" not in h.heading
               for h in archivist.search(question, k=50, filters=Filters(after=date(2024, 2, 1))).hits)


def envelope_rows(archivist) -> dict[str, int]:
    rows = archivist.manifest._query("SELECT content_hash, COUNT(*) AS n FROM envelopes GROUP BY content_hash")
    return {r["content_hash"]: r["n"] for r in rows}


def test_envelopes_follow_the_mailbox_when_it_changes_moves_and_goes(mailbox, docs, tmp_path, make_archivist):
    archivist = synced(make_archivist, docs)
    before = archivist.manifest.get(str(mailbox)).content_hash
    assert envelope_rows(archivist)[before] == 4

    messages = inbox_messages(tmp_path)  # Carla's reply now comes from Gita, and a fifth arrives
    messages[1].replace_header("From", "Gita <gita@example.com>")
    messages.append(dated(mf.message("Late", "The depot keys are with the caretaker.", sender="Carla <carla@example.net>"),
                          datetime(2024, 9, 2, tzinfo=timezone.utc)))
    mailbox.unlink()
    mf.write_mbox(mailbox, messages)
    bump_mtime(mailbox)
    archivist.sync()
    after = archivist.manifest.get(str(mailbox)).content_hash
    assert after != before and before not in envelope_rows(archivist) and envelope_rows(archivist)[after] == 5
    assert found(archivist, sender="gita") == inbox(2)
    assert found(archivist, sender="carla") == inbox(5) | {("carla.eml", 1)}

    moved = docs / "archive" / "inbox-2024.mbox"
    moved.parent.mkdir()
    os.rename(mailbox, moved)
    archivist.sync()
    assert found(archivist, sender="gita") == {("inbox-2024.mbox", 2)}
    assert found(archivist, sender="gita", folder=str(docs / "archive")) == {("inbox-2024.mbox", 2)}
    assert envelope_rows(archivist)[after] == 5  # same content: nothing to read again

    moved.unlink()
    archivist.sync()
    assert after not in envelope_rows(archivist) and found(archivist, sender="gita") == set()
    assert archivist.remove_source(docs) and envelope_rows(archivist) == {}
    assert found(archivist, sender="carla") == set()


def test_an_index_made_before_envelopes_reads_its_mail_again_once(mailbox, docs, make_archivist, data_dir):
    archivist = synced(make_archivist, docs)
    manifest_file = archivist.index.directory / "manifest.sqlite"
    archivist.manifest.set_meta("reader_versions", json.dumps({k: v for k, v in READER_VERSIONS.items() if k != "mail"}))
    archivist.close()
    with sqlite3.connect(manifest_file) as db:  # as the manifest was before it had envelopes
        db.execute("DROP TABLE envelopes")
        db.execute("PRAGMA user_version = 1")

    reopened = make_archivist()
    assert reopened.manifest.get(str(mailbox)).status == PENDING
    assert reopened.manifest.get(str(docs / "notes.md")).status == INDEXED  # not mail: left alone
    assert found(reopened, sender="carla") == set()  # until the mail is read again
    finished = reopened.sync()
    assert finished.embedded == 0  # the same passages: their vectors come from the cache
    assert found(reopened, sender="carla") == inbox(2) | {("carla.eml", 1)}
    reopened.close()
    assert make_archivist().manifest.get(str(mailbox)).status == INDEXED  # once, not at every start


def test_envelopes_of_a_mailbox_forgotten_just_before_a_crash_are_dropped_at_start(mailbox, docs, make_archivist):
    archivist = synced(make_archivist, docs)
    gone = archivist.manifest.get(str(mailbox)).content_hash
    with archivist.manifest.transaction() as db:  # the crash: the file is forgotten, nothing else yet
        archivist.manifest.delete(db, str(mailbox))
    mailbox.unlink()
    archivist.close()
    reopened = make_archivist()
    assert gone not in envelope_rows(reopened) and gone not in reopened.store.doc_ids()
    assert found(reopened, sender="carla") == {("carla.eml", 1)}


# -- the command line ------------------------------------------------------------------------------

def test_the_command_line_filters_mail_alike_alone_and_through_a_running_instance(mailbox, docs, make_archivist,
                                                                                   data_dir):
    archivist = synced(make_archivist, docs)
    runs = [("search", "--json", "--from", "carla", "--to", "DAN", FACT),
            ("search", "--after", "2024-01-01", "--before", "2024-06-30", "--from", "ana", "-k", "3", FACT),
            ("search", "--before", "2024-13-01", FACT)]
    server = InstanceServer(archivist, "test instance")
    assert server.start()
    try:
        via = [ask_instance(data_dir, list(args), str(docs)) for args in runs]
    finally:
        server.close()
    alone = [cli(*args, data_dir=data_dir) for args in runs]

    assert via[2] is None  # a date it cannot read: declined, and the command line says why itself
    assert alone[2].returncode == 2 and b"not a date: '2024-13-01'" in alone[2].stderr
    assert [a.returncode for a in alone[:2]] == [v.exit_code for v in via[:2]] == [0, 0]
    assert via[1].stdout == alone[1].stdout.decode()
    assert via[1].stdout.startswith(f"[1] {mailbox} (message 1) · Boiler")
    result = json.loads(alone[0].stdout)
    assert _without_timings(json.loads(via[0].stdout)) == _without_timings(result)
    assert result["trace"]["filters"] == {"sender": "carla", "recipient": "DAN"}
    assert {(h["path"], h["page"]) for h in result["hits"]} == {(str(mailbox), 2)}
    assert result["hits"][0]["message"] == {"sender": "Carla Rossi <carla@example.net>",
                                            "recipients": "Dan <dan@example.com>, Bo Lind <bo@example.org>",
                                            "date": "2024-05-20T12:00:00+00:00"}


def _without_timings(result: dict) -> dict:
    result["trace"].pop("timings")
    result["trace"].pop("served_by", None)
    return result


def test_ask_takes_the_same_mail_filters():
    from core import cli_ask, cli_commands

    args = cli_commands.build_parser().parse_args(
        ["ask", "Who booked the boiler?", "--from", "ana", "--to", "bo", "--after", "2024-01-01",
         "--before", "2024-06-30T18:00"])
    assert cli_ask.filters_from_args(args) == Filters(sender="ana", recipient="bo", after=date(2024, 1, 1),
                                                       before=datetime(2024, 6, 30, 18, 0))


def test_a_date_range_over_a_long_mailbox_is_one_short_clause_and_returns_exactly_its_messages(docs, make_archivist):
    days = [datetime(2024, 1, 1, 9, tzinfo=timezone.utc) + timedelta(days=d) for d in range(40)]
    senders = ["Ana <ana@example.org>", "Bo <bo@example.org>", "Carla <carla@example.net>"]
    mf.write_mbox(docs / "year.mbox", [
        dated(mf.message(f"Day {d}", f"Log entry {d}: the depot was checked and found in order.",
                         sender=senders[d % 3]), day) for d, day in enumerate(days)])
    archivist = synced(make_archivist, docs)
    filters = Filters(after=date(2024, 1, 6), before=date(2024, 1, 30))  # messages 6 to 30
    clause = Scope.of(filters, archivist.manifest).where.to_sql()
    assert "(page >= 6) AND (page <= 30)" in clause and len(clause) < 120
    assert found(archivist, "depot checked", **asdict(filters)) == {("year.mbox", n) for n in range(6, 31)}
    # Scattered numbers are listed.
    assert found(archivist, "depot checked", sender="carla", before=date(2024, 1, 20)) == {
        ("year.mbox", n) for n in (3, 6, 9, 12, 15, 18)}
    assert found(archivist, "depot checked", sender="example.org", after=date(2024, 1, 5)) == {
        ("year.mbox", n) for n in range(5, 41) if n % 3 != 0}  # Ana and Bo


def test_a_mailbox_committed_in_parts_keeps_every_messages_envelope(docs, make_archivist, monkeypatch):
    monkeypatch.setattr(parts, "PART_CHUNKS", 4)  # a big mailbox: its passages go in several commits
    senders = ["Ana <ana@example.org>", "Carla <carla@example.net>"]
    mf.write_mbox(docs / "big.mbox", [mf.message(f"Note {n}", f"Shelf {n} of the depot holds spare valves.",
                                                 sender=senders[n % 2]) for n in range(1, 15)])
    archivist = synced(make_archivist, docs)
    assert archivist.manifest.get(str(docs / "big.mbox")).chunks == 14
    assert found(archivist, "spare valves", sender="carla") == {("big.mbox", n) for n in range(1, 15, 2)}
