"""Thunderbird (and Evolution) keep each mail folder as one mbox file named without extension:
"Inbox", "Sent", "Inbox.sbd/Projects". Such a file is recognised by its start and read as a mailbox,
message by message; any other file without extension is still skipped, with a reason that says so.
Real files, parsers, model and LanceDB; the planner reads a file's start only when it is new or changed."""

from __future__ import annotations

import sqlite3
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

import pytest

from core import planner
from core.manifest import INDEXED, SKIPPED
from core.parsing import parse_file
from core.parsing.sniff import is_mailbox
from core.search import Filters
from helpers import bump_mtime, synced, write
from tests.fixtures import mail_files as mf

FACT = "The boat club's winter dues are 85 euros, paid by 15 January."
PROJECT_FACT = "The greenhouse project needs 40 square metres of polycarbonate."
NOT_A_MAILBOX = "unsupported file type (no extension, and not a mailbox)"


def thunderbird_folder(path: Path, messages, newline: bytes = b"\n") -> Path:
    """Messages as Thunderbird appends them to a folder file: a "From - <date>" line and its own
    status headers before each message."""
    out = b""
    for msg in messages:
        body = msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", newline)
        out += (b"From - Sat Mar 02 10:00:00 2024" + newline + b"X-Mozilla-Status: 0001" + newline
                + b"X-Mozilla-Status2: 00000000" + newline + body + newline)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out)
    return path


def dated(msg, day: int):
    msg.replace_header("Date", format_datetime(datetime(2024, 3, day, 9, 0, tzinfo=timezone.utc)))
    return msg


def inbox_messages():
    return [dated(mf.message("Lunch", "Noon at the usual place?"), 1),
            dated(mf.message("Club dues", FACT, sender="Carla Rossi <carla@example.net>"), 2),
            dated(mf.message("Shed", "The garden shed needs a new roof before winter."), 3)]


@pytest.fixture
def profile(docs):
    """A Thunderbird "Local Folders" directory: folders, their summary files, an empty Trash, and
    a licence text without extension."""
    folders = docs / "Local Folders"
    inbox = thunderbird_folder(folders / "Inbox", inbox_messages())
    write(folders / "Inbox.msf", "// <!-- <mdb:mork:z v=\"1.4\"/> -->\n< <(a=c)> >\n")
    thunderbird_folder(folders / "Inbox.sbd" / "Projects", [mf.message("Greenhouse", PROJECT_FACT)], newline=b"\r\n")
    (folders / "Trash").write_bytes(b"")
    write(docs / "LICENSE", "From time to time this licence may change.\nTerms: see below.\n")
    return inbox


def test_the_start_of_a_mailbox_is_recognised_and_plain_text_is_not():
    assert is_mailbox(b"From - Sat Mar 02 10:00:00 2024\nX-Mozilla-Status: 0001\n")  # Thunderbird
    assert is_mailbox(b"From MAILER-DAEMON Wed Dec  2 22:00:00 2026\r\nFrom: a@example.org\r\n")  # Python, CRLF
    assert is_mailbox(b"From ana@example.org Mon Jan  1 08:00:00 +0100 2024\nReturn-Path: <ana@example.org>\n")
    assert not is_mailbox(b"From time to time this licence may change.\nTerms: see below.\n")
    assert not is_mailbox(b"From 10:00 to 12:00 we meet.\n\nAgenda: budget\n")  # no header after it
    assert not is_mailbox(b"")


def test_a_thunderbird_folder_is_searched_message_by_message_and_cited_on_its_message(profile, docs, make_archivist):
    archivist = synced(make_archivist, docs)
    hit = archivist.search("How much are the boat club's winter dues?").hits[0]
    assert (hit.path, hit.page, hit.kind, hit.heading) == (str(profile), 2, "mail", "Club dues")
    assert FACT in hit.text
    nested = archivist.search("How much polycarbonate does the greenhouse need?").hits[0]
    assert (Path(nested.path).name, nested.page, nested.kind) == ("Projects", 1, "mail")
    # Its envelopes are kept, so the window's mail filters narrow to its messages.
    carla = archivist.search("winter dues", filters=Filters(sender="carla")).hits
    assert {(h.path, h.page) for h in carla} == {(str(profile), 2)}

    records = {Path(r.path).name: r for r in archivist.files()}
    assert (records["Inbox"].status, records["Inbox"].kind) == (INDEXED, "mail")
    assert records["Projects"].status == INDEXED
    assert (records["LICENSE"].status, records["LICENSE"].reason) == (SKIPPED, NOT_A_MAILBOX)
    assert (records["Trash"].status, records["Trash"].reason) == (SKIPPED, NOT_A_MAILBOX)  # empty until used
    assert (records["Inbox.msf"].status, records["Inbox.msf"].reason) == (SKIPPED, "unsupported file type (.msf)")


def test_a_message_thunderbird_appends_is_found_after_the_next_sync(profile, docs, make_archivist):
    archivist = synced(make_archivist, docs)
    later = dated(mf.message("Regatta", "The regatta starts at 11:30 from the north pier."), 9)
    thunderbird_folder(profile, inbox_messages() + [later])
    bump_mtime(profile)
    assert archivist.sync().failed == 0
    hit = archivist.search("When does the regatta start?").hits[0]
    assert (hit.path, hit.page) == (str(profile), 4)


def test_an_unchanged_file_without_extension_is_not_opened_again(profile, docs, make_archivist, monkeypatch):
    archivist = synced(make_archivist, docs)
    opened = []
    monkeypatch.setattr(planner, "is_mailbox_file", lambda path: opened.append(path) or False)
    assert not archivist.plan()  # nothing changed: nothing to do, and no file read to find that out
    assert opened == []


def test_a_folder_an_older_version_skipped_for_having_no_extension_is_read_now(profile, docs, make_archivist):
    archivist = synced(make_archivist, docs)
    manifest_file = archivist.index.directory / "manifest.sqlite"
    archivist.close()
    with sqlite3.connect(manifest_file) as db:  # as the version before mailboxes without extension left it
        db.execute("UPDATE files SET status = ?, reason = ?, chunks = 0 WHERE path = ?",
                   (SKIPPED, "unsupported file type (no extension)", bytes(profile)))
    reopened = make_archivist()
    assert reopened.manifest.get(str(profile)).status == SKIPPED
    assert reopened.sync().failed == 0
    assert reopened.manifest.get(str(profile)).status == INDEXED
    assert reopened.search("How much are the boat club's winter dues?").hits[0].page == 2


def test_the_parser_reads_a_mailbox_without_extension_as_the_same_named_mbox(profile, tmp_path):
    named = tmp_path / "inbox.mbox"
    named.write_bytes(profile.read_bytes())
    alike, other = parse_file(str(profile)), parse_file(str(named))
    assert alike.kind == "mail" and len(alike.envelopes) == 3
    assert (alike.sections, alike.envelopes, alike.title) == (other.sections, other.envelopes, other.title)
