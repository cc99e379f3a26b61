"""E-mail (EML, MBOX): each message cited by its number in the file, its attachments parsed like
files and cited as "message › attachment › page". Fixtures are generated with the stdlib email
package (tests/fixtures/mail_files.py); the search runs on the real model, LanceDB and parsers."""

from __future__ import annotations

import os

import pytest

from core.cli_evidence import source_line
from core.locator import place
from core.parsing import ParseError, parse_file
from core.parsing.mail import split_mbox
from core.parsing.mail_outline import outline
from core.search import Filters
from helpers import FACTS, FILLER, write
from tests import scans
from tests.fixtures import mail_files as mf
from tests.fixtures.msg_file import write_msg

OUTLOOK_HEADERS = ("From: Ana Silva <ana@example.org>\r\nTo: Bo Lind <bo@example.org>\r\n"
                   "Subject: Outlook invoice\r\nDate: Sun, 03 Mar 2024 09:30:00 +0000\r\n\r\n")


def outlook_msg(path):
    pdf = mf.pdf_bytes(["Cover page, nothing to see.", mf.PDF_FACT])
    return write_msg(path, "Outlook invoice", "The invoice is attached.", OUTLOOK_HEADERS, [("invoice.pdf", pdf)])


def sections(path) -> list[tuple[int | None, tuple[str, ...], str]]:
    return [(s.page, s.heading, s.text) for s in parse_file(str(path)).sections]


def refusal(path) -> tuple[str, str]:
    with pytest.raises(ParseError) as caught:
        parse_file(str(path))
    return caught.value.status, caught.value.reason


def test_an_eml_gives_its_envelope_body_and_attachments_paged_by_the_message(tmp_path):
    path = mf.write_eml(tmp_path / "invoice.eml", mf.invoice_message(tmp_path))
    doc = parse_file(str(path))
    assert (doc.kind, doc.title) == ("mail", "Invoice")
    (p1, h1, t1), (p2, h2, t2), (p3, h3, t3), (p4, h4, t4) = sections(path)
    assert (p1, h1) == (1, ("Invoice",))
    assert t1.startswith("From: Ana Silva <ana@example.org> · To: Bo Lind <bo@example.org> · Date: Sun, 03 Mar 2024")
    assert t1.endswith(mf.BODY_FACT)
    assert (p2, h2) == (1, ("Invoice", "invoice.pdf", "page 1"))
    assert (p3, h3, t3) == (1, ("Invoice", "invoice.pdf", "page 2"), mf.PDF_FACT)
    assert (p4, h4) == (1, ("Invoice", "lease.docx")) and mf.DOCX_FACT in t4
    assert place("mail", 3) == "message 3"


def test_encoded_headers_and_file_names_are_decoded(tmp_path):
    msg = mf.message("Factura del café de la año 2024 — ver adjunto", "Adjunto.", sender="José Núñez <jose@example.org>")
    msg.add_attachment("Importe: 1.250,00 €".encode(), maintype="text", subtype="plain", filename="factura-año.txt")
    raw = bytes(msg)
    assert b"=?utf-8?" in raw and "año".encode() not in raw  # encoded on the wire
    (_, h1, t1), (_, h2, t2) = sections(mf.write_eml(tmp_path / "factura.eml", msg))
    assert h1 == ("Factura del café de la año 2024 — ver adjunto",)
    assert t1.startswith("From: José Núñez <jose@example.org> · To:")
    assert (h2, t2) == (h1 + ("factura-año.txt",), "Importe: 1.250,00 €")


def test_offsets_point_into_one_text_of_the_whole_file(tmp_path):
    path = mf.write_mbox(tmp_path / "box.mbox", [mf.html_message(), mf.invoice_message(tmp_path)])
    doc = parse_file(str(path))
    full = "\n\n".join(s.text for s in doc.sections)
    assert all(full[s.start:s.start + len(s.text)] == s.text for s in doc.sections)


def test_an_html_only_body_is_converted_to_its_text(tmp_path):
    (page, heading, text), = sections(mf.write_eml(tmp_path / "rowing.eml", mf.html_message()))
    assert (page, heading) == (1, ("Rowing",))
    assert text.endswith(f"\n\nClub news\n\n{mf.HTML_FACT}")


def test_a_nested_message_is_read_as_a_message_under_the_one_it_is_attached_to(tmp_path):
    (_, h1, t1), (p2, h2, t2) = sections(mf.write_eml(tmp_path / "fwd.eml", mf.forwarding_message()))
    assert h1 == ("Fwd: Shipment",) and "See below." in t1
    assert (p2, h2) == (1, ("Fwd: Shipment", "Shipment"))
    assert t2.startswith("From: Port <port@example.org>") and mf.NESTED_FACT in t2


def test_an_unknown_charset_keeps_the_text_with_a_warning(tmp_path):
    path = tmp_path / "odd.eml"
    path.write_bytes(mf.bad_charset_eml())
    doc = parse_file(str(path))
    assert "The kettle in room 12 is broken again." in doc.sections[0].text
    assert "message 1: unknown charset 'x-no-such-charset', read as UTF-8" in doc.warnings


def test_broken_base64_keeps_the_rest_with_a_warning(tmp_path):
    path = tmp_path / "scan.eml"
    path.write_bytes(mf.broken_base64_eml())
    doc = parse_file(str(path))
    assert "The meeting moved to the blue room on Monday." in doc.sections[0].text
    assert "message 1: a damaged part (notes.txt): some of its text may be missing" in doc.warnings


def test_unreadable_attachments_are_warnings_not_failures(tmp_path):
    msg = mf.message("Photos", "Three files attached.")
    msg.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(64), maintype="image", subtype="png", filename="receipt.png")
    msg.add_attachment(b"%PDF-1.7\n1 0 obj <<", maintype="application", subtype="pdf", filename="cut.pdf")
    msg.add_attachment(b"\x00\x00\x00\x18ftypheic", maintype="image", subtype="heic", filename="photo.heic")
    doc = parse_file(str(mf.write_eml(tmp_path / "photos.eml", msg)))
    assert [s.heading for s in doc.sections] == [("Photos",)]
    assert any(w.startswith("message 1 › receipt.png: unreadable image") for w in doc.warnings)
    assert any(w.startswith("message 1 › cut.pdf: ") for w in doc.warnings)
    assert "message 1 › photo.heic: unsupported file type (.heic)" in doc.warnings


def test_a_photo_attached_to_a_message_is_read_by_ocr_and_cited_under_it(tmp_path):
    msg = mf.message("Taxi receipt", "The receipt is attached.")
    receipt = scans.png_bytes(scans.scan("Taxi to the airport. Total paid: 47.30 euros.", dpi=200,
                                         size=(500, 220)))
    msg.add_attachment(receipt, maintype="image", subtype="png", filename="receipt.png")
    doc = parse_file(str(mf.write_eml(tmp_path / "taxi.eml", msg)))
    photo = doc.sections[-1]
    assert (photo.page, photo.heading) == (1, ("Taxi receipt", "receipt.png"))
    assert "47.30" in photo.text and not doc.warnings


def test_a_mail_with_nothing_readable_has_no_text_content(tmp_path):
    msg = mf.message("Only a picture")
    msg.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(64), maintype="image", subtype="png", filename="a.png")
    assert refusal(mf.write_eml(tmp_path / "pic.eml", msg)) == ("skipped", "no text content")


def test_a_file_without_mail_headers_is_not_read_as_mail(tmp_path):
    write(tmp_path / "notes.eml", "just some words\nand more words\n")
    assert refusal(tmp_path / "notes.eml") == ("failed", "unreadable e-mail: no message headers found")
    write(tmp_path / "notes.mbox", "just some words\n")
    assert refusal(tmp_path / "notes.mbox") == ("failed", "unreadable mailbox: it does not start with a \"From \" line")


def test_an_mbox_numbers_its_messages_and_a_body_line_starting_with_from_stays_in_its_message(tmp_path):
    quoting = mf.message("Quote", "As he wrote:\n\nFrom the start we knew it.\nEnd.")
    path = mf.write_mbox(tmp_path / "box.mbox", [mf.message("One", "First."), quoting, mf.html_message()])
    got = [(page, heading) for page, heading, _ in sections(path)]
    assert got == [(1, ("One",)), (2, ("Quote",)), (3, ("Rowing",))]
    assert "From the start we knew it.\nEnd." in sections(path)[1][2]


def test_an_mbox_message_is_read_again_alone_from_where_it_begins(tmp_path):
    """The preview reads one message of a big mailbox by its offset (split_mbox), not all of them."""
    quoting = mf.message("Quote", "As he wrote:\n\nFrom the start we knew it.\nEnd.")
    path = mf.write_mbox(tmp_path / "box.mbox", [mf.message("One", "First."), quoting, mf.html_message()])
    data = path.read_bytes()
    with open(path, "rb") as fh:
        whole = list(split_mbox(fh, 2**20))
        assert len(whole) == 3 and all(data[at:].startswith(b"From ") for at, _ in whole)
        assert list(split_mbox(fh, 2**20, whole[1][0])) == whole[1:]
    assert b"From the start we knew it." in whole[1][1] and whole[0][0] == 0


def test_an_outline_names_the_fields_and_attachments_as_sections_and_warnings_do(tmp_path):
    msg = mf.invoice_message(tmp_path)
    msg["Cc"] = "Cy Moss <cy@example.org>"
    msg.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(64), maintype="image", subtype="png", filename="receipt.png")
    msg.add_attachment(mf.forwarding_message())  # an attached message without a file name
    got = outline(bytes(msg))
    assert (got.subject, got.field("Cc"), got.field("Bcc")) == ("Invoice", "Cy Moss <cy@example.org>", "")
    assert [name for name, _ in got.fields] == ["From", "To", "Cc", "Date"]
    assert [(a.name, a.heading) for a in got.attachments] == [
        ("invoice.pdf", "invoice.pdf"), ("lease.docx", "lease.docx"), ("receipt.png", "receipt.png"),
        ("attachment 4.eml", "Fwd: Shipment")]
    doc = parse_file(str(mf.write_eml(tmp_path / "all.eml", msg)))
    assert [h for h in dict.fromkeys(s.heading[1] for s in doc.sections if len(s.heading) > 1)] == [
        "invoice.pdf", "lease.docx", "Fwd: Shipment"]
    assert any(w.startswith("message 1 › receipt.png: unreadable image") for w in doc.warnings)


def test_attached_messages_nested_too_deep_are_left_out_with_a_warning(tmp_path):
    msg = mf.message("Level 0", "Top.")
    for level in range(1, 7):
        outer = mf.message(f"Level {level}", f"Body {level}.")
        outer.add_attachment(msg)
        msg = outer
    doc = parse_file(str(mf.write_eml(tmp_path / "deep.eml", msg)))
    assert len(doc.sections) == 5 and any("nested too deep" in w for w in doc.warnings)


def test_an_outlook_message_reads_like_an_eml_with_its_attachments(tmp_path):
    doc = parse_file(str(outlook_msg(tmp_path / "invoice.msg")))
    assert (doc.kind, doc.title, doc.warnings) == ("mail", "Outlook invoice", ())
    (p1, h1, t1), (_, h2, _), (p3, h3, t3) = [(s.page, s.heading, s.text) for s in doc.sections]
    assert (p1, h1) == (1, ("Outlook invoice",))
    assert t1 == ("From: Ana Silva <ana@example.org> · To: Bo Lind <bo@example.org> · "
                  "Date: Sun, 03 Mar 2024 09:30:00 +0000\n\nThe invoice is attached.")
    assert h2 == ("Outlook invoice", "invoice.pdf", "page 1")
    assert (p3, h3, t3) == (1, ("Outlook invoice", "invoice.pdf", "page 2"), mf.PDF_FACT)


def test_a_damaged_outlook_message_fails_with_its_reason(tmp_path):
    data = outlook_msg(tmp_path / "whole.msg").read_bytes()
    (tmp_path / "cut.msg").write_bytes(data[:1536])
    status, reason = refusal(tmp_path / "cut.msg")
    assert status == "failed" and reason.startswith("unreadable Outlook message: ")
    write(tmp_path / "text.msg", "From: a@example.org\n\nhello\n")
    assert refusal(tmp_path / "text.msg") == ("failed", "unreadable Outlook message: not an OLE2 compound file")


# -- end to end -----------------------------------------------------------------------------------

def test_a_value_in_an_attachment_of_a_message_in_an_mbox_is_found_and_cited_there(docs, tmp_path, make_archivist):
    box = mf.write_mbox(docs / "inbox.mbox", [
        mf.message("Lunch", f"{FILLER}\n\nShall we meet at noon?"), mf.html_message(),
        mf.invoice_message(tmp_path), mf.forwarding_message()])
    mf.write_eml(docs / "rowing.eml", mf.html_message())
    (docs / "broken.mbox").write_bytes(b"not a mailbox at all\n")
    outlook_msg(docs / "outlook.msg")
    (docs / "cut.msg").write_bytes((docs / "outlook.msg").read_bytes()[:1536])
    write(docs / "finance.md", f"# Finance\n\n{FILLER}\n\n{FACTS[1]}\n")

    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    records = {os.path.basename(r.path): r for r in archivist.files()}
    assert {n: r.status for n, r in records.items()} == {
        "inbox.mbox": "indexed", "rowing.eml": "indexed", "broken.mbox": "failed",
        "outlook.msg": "indexed", "cut.msg": "failed", "finance.md": "indexed"}
    assert records["inbox.mbox"].kind == "mail"
    assert records["cut.msg"].reason.startswith("unreadable Outlook message: ")

    def top(query, path):
        hits = archivist.search(query, filters=Filters(path=str(path))).hits
        assert hits, f"nothing found for {query!r}"
        return hits[0]

    hit = top("When is the Halvorsen invoice 7731 due?", box)
    assert (hit.kind, hit.page, hit.heading) == ("mail", 3, "Invoice > invoice.pdf > page 2")
    assert "8,420 kroner" in hit.text
    assert source_line(1, hit).startswith(f"[1] {box} (message 3) · Invoice > invoice.pdf > page 2")
    hit = top("When does the Lisbon office lease renew?", box)
    assert (hit.page, hit.heading) == (3, "Invoice > lease.docx")
    hit = top("Where does the rowing club meet?", box)
    assert (hit.page, hit.heading) == (2, "Rowing")
    hit = top("When did the Gdansk shipment leave port?", box)
    assert (hit.page, hit.heading) == (4, "Fwd: Shipment > Shipment")
    hit = top("When is the Halvorsen invoice 7731 due?", docs / "outlook.msg")
    assert (hit.kind, hit.page, hit.heading) == ("mail", 1, "Outlook invoice > invoice.pdf > page 2")
