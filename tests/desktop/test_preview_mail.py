"""The preview of a cited e-mail shows that one message: its header (subject, from, to, cc, date),
its attachments and what became of each, then its body and its attachments' text with the passage
marked and in view; paging goes through the mailbox's messages. Real files (tests/fixtures), real
index and search; the big mailbox is read without parsing its other messages."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import pytest

from core.answer.citations import Citation
from core.parsing import parse_file
from core.parsing.parse import parse_bytes
from helpers import FILLER, bump_mtime, synced
from test_mailbox_no_extension import thunderbird_folder
from tests.fixtures import bad_files as bf
from tests.fixtures import mail_files as mf
from tests.fixtures.msg_file import write_msg

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

SHOTS = os.environ.get("ARCHIVIST_SCREENSHOTS")  # a folder to save what the preview shows
CC = "Cy Moss <cy@example.org>"
LOCKED = "encrypted: needs a password"


def long_invoice(tmp_path: Path):
    """The invoice, its passage far below the header (a long body), with a Cc and a locked PDF."""
    msg = mf.message("Invoice", "\n\n".join([mf.BODY_FACT] + [FILLER] * 30))
    msg["Cc"] = CC
    msg.add_attachment(mf.pdf_bytes(["Cover page, nothing to see.", mf.PDF_FACT]),
                       maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(Path(bf.encrypted_pdf(tmp_path)).read_bytes(),
                       maintype="application", subtype="pdf", filename="locked.pdf")
    return msg


@pytest.fixture
def inbox(docs, tmp_path, make_archivist):
    box = mf.write_mbox(docs / "inbox.mbox", [mf.message("Lunch", f"{FILLER}\n\nNoon?"), long_invoice(tmp_path),
                                              mf.forwarding_message()])
    return box, synced(make_archivist, docs)


def show(qtbot, pane, citation: dict):
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        pane.show_citation(citation)


def marked(pane) -> list[str]:
    return [s.cursor.selectedText().replace("\u2029", "\n") for s in pane._mail_view.extraSelections()]


def as_citation(hit) -> dict:
    snippet = " ".join(hit.text.split())[:300]
    return asdict(Citation(1, hit.path, hit.page, hit.heading, hit.start, hit.end, snippet, hit.score, kind=hit.kind))


@pytest.mark.parametrize("shape", ["hit", "citation"])
def test_a_passage_in_an_attachment_shows_its_message_with_header_attachments_and_the_passage_marked(
        qtbot, pane, inbox, shape):
    box, archivist = inbox
    hit = archivist.search("When is the Halvorsen invoice 7731 due?").hits[0]
    assert (hit.path, hit.page, hit.kind, hit.text) == (str(box), 2, "mail", mf.PDF_FACT)
    show(qtbot, pane, asdict(hit) if shape == "hit" else as_citation(hit))
    view = pane._mail_view
    assert pane._stack.currentWidget() is view and (pane.message, pane.note) == ("", "")
    assert (pane.current_page, pane.page_count) == (2, 3)
    assert pane._where.text() == "Message 2 of 3 · Invoice > invoice.pdf > page 2"
    assert pane._page_box.accessibleName() == "Message number"
    result = view.result
    assert result.fields == (("From", "Ana Silva <ana@example.org>"), ("To", "Bo Lind <bo@example.org>"),
                             ("Cc", CC), ("Date", "Sun, 03 Mar 2024 09:30:00 +0000"))
    assert [(a.name, a.status, a.cited) for a in result.attachments] == [
        ("invoice.pdf", "read", True), ("locked.pdf", f"not read: {LOCKED}", False)]
    shown = view.toPlainText()
    for part in ("Invoice", f"Cc: {CC}", "Attachments (2)", "• invoice.pdf — read  ◀ the cited passage",
                 f"• locked.pdf — not read: {LOCKED}", mf.BODY_FACT, "invoice.pdf\npage 1\nCover page", "page 2\n" + mf.PDF_FACT):
        assert part in shown
    assert " · To: " not in shown  # the parser's envelope line became the header block
    assert "Noon?" not in shown and "Gdansk" not in shown  # only the cited message
    assert marked(pane) == [mf.PDF_FACT] and pane.highlighted_text == mf.PDF_FACT
    assert view.verticalScrollBar().value() > 0 and view.passage_in_view  # far below the header
    if SHOTS:
        qtbot.wait(50)  # the controls' labels laid out for the new text
        pane.grab().save(os.path.join(SHOTS, f"mail-{shape}.png"))


def test_paging_goes_through_the_mailbox_and_marks_only_the_cited_message(qtbot, pane, inbox):
    box, archivist = inbox
    hit = archivist.search("When is the Halvorsen invoice 7731 due?").hits[0]
    show(qtbot, pane, asdict(hit))
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        pane.next_page()
    assert pane.current_page == 3 and marked(pane) == [] and pane.highlighted_text == ""
    assert pane._where.text() == "Message 3 of 3 · Fwd: Shipment · cited on message 2"
    result = pane._mail_view.result
    assert [(a.name, a.status) for a in result.attachments] == [("attachment 1.eml", "read")]
    assert "See below." in pane._mail_view.toPlainText() and mf.NESTED_FACT in pane._mail_view.toPlainText()
    assert not pane._next.isEnabled()
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        pane.go_to_page(1)
    assert pane._mail_view.result.heading == "Lunch" and "Noon?" in pane._mail_view.toPlainText()
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        pane.go_to_page(2)
    assert marked(pane) == [mf.PDF_FACT]


def test_a_passage_gone_from_its_message_says_so(qtbot, pane, inbox, tmp_path):
    box, archivist = inbox
    hit = archivist.search("When is the Halvorsen invoice 7731 due?").hits[0]
    box.unlink()
    mf.write_mbox(box, [mf.message("Lunch", "Noon?"), mf.message("Invoice", "Paid, thanks.")])
    bump_mtime(box)
    show(qtbot, pane, asdict(hit))
    assert pane.current_page == 2 and marked(pane) == [] and pane.page_count == 2
    assert pane.note == "This passage is no longer in this message; the file changed after indexing."


def test_a_single_eml_shows_its_message_without_paging(qtbot, pane, docs, tmp_path, make_archivist):
    mf.write_eml(docs / "invoice.eml", mf.invoice_message(tmp_path))
    hit = synced(make_archivist, docs).search("Which office lease renews every October?").hits[0]
    assert (hit.page, hit.heading) == (1, "Invoice > lease.docx")
    show(qtbot, pane, asdict(hit))
    assert pane._stack.currentWidget() is pane._mail_view
    assert pane._where.text() == "Invoice > lease.docx" and all(w.isHidden() for w in pane._paging)
    result = pane._mail_view.result
    assert [name for name, _ in result.fields] == ["From", "To", "Date"]  # no Cc
    assert [(a.name, a.status, a.cited) for a in result.attachments] == [
        ("invoice.pdf", "read", False), ("lease.docx", "read", True)]
    assert pane.highlighted_text == hit.text and mf.DOCX_FACT in " ".join(marked(pane))


def test_a_thunderbird_folder_without_extension_pages_through_its_messages(qtbot, pane, docs, tmp_path, make_archivist):
    box = thunderbird_folder(docs / "Inbox", [mf.message("Lunch", f"{FILLER}\n\nNoon?"), long_invoice(tmp_path),
                                              mf.forwarding_message()])
    hit = synced(make_archivist, docs).search("When is the Halvorsen invoice 7731 due?").hits[0]
    assert (hit.path, hit.page, hit.kind) == (str(box), 2, "mail")
    show(qtbot, pane, asdict(hit))
    assert (pane.current_page, pane.page_count) == (2, 3)  # told apart as the parser told them
    assert pane._where.text() == "Message 2 of 3 · Invoice > invoice.pdf > page 2"
    assert marked(pane) == [mf.PDF_FACT] and "Noon?" not in pane._mail_view.toPlainText()


def test_an_outlook_message_shows_its_header_and_attachment(qtbot, pane, docs, make_archivist):
    headers = ("From: Ana Silva <ana@example.org>\r\nTo: Bo Lind <bo@example.org>\r\nCc: " + CC +
               "\r\nSubject: Outlook invoice\r\nDate: Sun, 03 Mar 2024 09:30:00 +0000\r\n\r\n")
    pdf = mf.pdf_bytes(["Cover page, nothing to see.", mf.PDF_FACT])
    write_msg(docs / "invoice.msg", "Outlook invoice", "The invoice is attached.", headers, [("invoice.pdf", pdf)])
    hit = synced(make_archivist, docs).search("When is the Halvorsen invoice 7731 due?").hits[0]
    show(qtbot, pane, asdict(hit))
    assert pane._where.text() == "Outlook invoice > invoice.pdf > page 2"
    result = pane._mail_view.result
    assert (result.heading, dict(result.fields)["Cc"], dict(result.fields)["From"]) == (
        "Outlook invoice", CC, "Ana Silva <ana@example.org>")
    assert [(a.name, a.status, a.cited) for a in result.attachments] == [("invoice.pdf", "read", True)]
    assert "The invoice is attached." in pane._mail_view.toPlainText() and marked(pane) == [mf.PDF_FACT]


def test_a_message_deep_in_a_big_mailbox_is_shown_without_parsing_the_others(qtbot, pane, tmp_path, monkeypatch):
    import desktop.preview_mail as pm

    messages = [mf.message(f"Note {n}", f"{FILLER}\n\nNote number {n}.") for n in range(1, 401)]
    messages[389] = mf.invoice_message(tmp_path)
    box = mf.write_mbox(tmp_path / "big.mbox", messages)
    cited = next(s for s in parse_file(str(box), ocr=False).sections if s.text == mf.PDF_FACT)  # as indexed
    parsed = []
    monkeypatch.setattr(pm, "parse_bytes", lambda name, data, **kw: parsed.append(name) or parse_bytes(name, data, **kw))
    show(qtbot, pane, dict(path=str(box), kind="mail", page=cited.page, heading=" > ".join(cited.heading),
                           start=cited.start, end=cited.start + len(cited.text), text=cited.text, score=0.0))
    assert (pane.current_page, pane.page_count, marked(pane)) == (390, 400, [mf.PDF_FACT])
    assert parsed == ["message.mbox"]  # the cited message alone
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        pane.next_page()
    assert "Note number 391." in pane._mail_view.toPlainText() and len(parsed) == 2
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        pane.previous_page()
    assert marked(pane) == [mf.PDF_FACT] and len(parsed) == 2  # read before: kept



def test_what_the_parser_noted_about_a_message_is_in_its_header(qtbot, pane, tmp_path):
    path = tmp_path / "odd.eml"
    path.write_bytes(mf.bad_charset_eml())
    kettle = "The kettle in room 12 is broken again."
    start = parse_file(str(path), ocr=False).sections[0].text.index(kettle)  # the file's text begins here
    show(qtbot, pane, dict(path=str(path), kind="mail", page=1, heading="Odd charset", start=start,
                           end=start + len(kettle), text=kettle, score=0.0))
    shown = pane._mail_view.toPlainText()
    assert "Note: unknown charset 'x-no-such-charset', read as UTF-8" in shown and "No attachments" in shown
    assert marked(pane) == [kettle] and pane._where.text() == "Odd charset"


def test_a_very_long_message_shows_the_cited_attachment_and_says_what_is_left_out(qtbot, pane, tmp_path):
    msg = mf.message("Report", "\n\n".join(f"Paragraph {n}. {FILLER * 3}" for n in range(1, 1201)))
    msg.add_attachment(mf.pdf_bytes(["Cover page, nothing to see.", mf.PDF_FACT]),
                       maintype="application", subtype="pdf", filename="invoice.pdf")
    path = mf.write_eml(tmp_path / "report.eml", msg)
    cited = next(s for s in parse_file(str(path), ocr=False).sections if s.text == mf.PDF_FACT)
    show(qtbot, pane, dict(path=str(path), kind="mail", page=1, heading="Report > invoice.pdf > page 2",
                           start=cited.start, end=cited.start + len(cited.text), text=cited.text, score=0.0))
    shown = pane._mail_view.toPlainText()
    assert "Paragraph 1." in shown and "Paragraph 1200." not in shown and len(shown) < 320_000
    assert marked(pane) == [mf.PDF_FACT] and pane._mail_view.passage_in_view
    assert pane.note == "This message is long: not all of its text is shown. Open it in the system viewer to see all of it."


def test_a_citation_stored_without_its_kind_is_still_shown_as_a_message():
    from desktop.preview_route import MAIL, PAGE, route

    assert route({"path": "/d/inbox.mbox", "page": 3}) == MAIL
    assert route({"path": "/d/note.eml", "page": 1, "kind": ""}) == MAIL
    assert route({"path": "/d/book.pdf", "page": 3, "kind": "pdf"}) == PAGE


def test_a_photo_the_indexer_did_not_read_is_not_read_by_the_preview_either(qapp, tmp_path):
    """The preview parses a message again to show it: a photo the indexer's OCR did not read (time
    ran out, OCR was off) is not read now either, or the text shown, and the index's offsets into
    it, would differ from what was indexed. One it did read comes from its cache."""
    from core.parsing.ocr.options import OcrOptions
    from desktop.preview_mail import load_message, read_message
    from tests.test_mail_ocr_time import photo_message

    box = str(mf.write_mbox(tmp_path / "receipts.mbox", [photo_message(3)]))
    unread = load_message(box, 1, [], "", 10.0, OcrOptions(data_dir=str(tmp_path / "data")))
    assert "Duarte 3" in unread.text and "13.40" not in unread.text
    indexed = parse_file(box, ocr=OcrOptions(data_dir=str(tmp_path / "data")))  # the indexer reads it
    assert any("13.40" in s.text for s in indexed.sections)
    read_message.cache_clear()  # a message is kept parsed while its file is unchanged
    read = load_message(box, 1, [], "", 10.0, OcrOptions(data_dir=str(tmp_path / "data")))
    assert "13.40" in read.text
