"""Photos and scans attached to mail share ONE time budget per mail file: every message is read,
OCR stops when the file's time is spent, what it left is counted ("needs OCR"), and a Retry reads
on, what was read before coming from the OCR cache. Before, each attachment got the whole budget
again and a mailbox of photos ran past the parser's timeout: all its messages were lost.
Fixtures: photos rendered from known text (tests/scans.py), mail by the stdlib (tests/fixtures);
the end-to-end test runs a real sync with the real parser pool, OCR, model and LanceDB."""

from __future__ import annotations

import re

import pytest

from core.parsing import parse_file
from core.parsing.mail_attachments import NOT_READ, AttachmentReader, time_ran_out
from core.parsing.model import OCR_OFF, ParsedDocument, Section
from core.parsing.ocr.options import OcrOptions
from core.reasons import status_of
from core.search import Filters
from tests import scans
from tests.fixtures import mail_files as mf
from tests.fixtures.msg_file import write_msg

PLACES = ["Faro", "Braga", "Evora", "Tavira", "Sintra", "Coimbra", "Aveiro", "Lagos", "Tomar", "Viseu",
          "Obidos", "Nazare"]
HEADERS = ("From: Ana Silva <ana@example.org>\r\nTo: Bo Lind <bo@example.org>\r\n"
           "Subject: Receipts\r\nDate: Sun, 03 Mar 2024 09:30:00 +0000\r\n\r\n")


def receipt(n: int) -> bytes:
    """A photo of receipt ``n``, print over most of it (~1.2 s of OCR here: no margin to leave out)."""
    text = (f"Receipt {n}. Taxi to {PLACES[n - 1]}, paid {10 + n}.40 euros. Fare on the meter {8 + n}.10, "
            f"waiting time {n} minutes, luggage 1.50, tip 0.80. Cab licence {400 + n} of the municipal "
            f"taxi service, driver number {70 + n}. Keep this receipt for your expense claim; it is "
            f"valid without signature.")
    return scans.png_bytes(scans.scan(text, dpi=200, size=(500, 300)))


def photo_message(n: int):
    msg = mf.message(f"Receipt {n}", f"Trip {n}: the driver in {PLACES[n - 1]} was called Duarte {n}.", day=n)
    msg.add_attachment(receipt(n), maintype="image", subtype="png", filename=f"receipt-{n}.png")
    return msg


def mail_of_photos(folder, form: str, count: int):
    """``count`` photos: one a message in an MBOX, or all attached to one EML or Outlook MSG."""
    if form == "mbox":
        return mf.write_mbox(folder / "receipts.mbox", [photo_message(n) for n in range(1, count + 1)])
    photos = [(f"receipt-{n}.png", receipt(n)) for n in range(1, count + 1)]
    if form == "msg":
        return write_msg(folder / "receipts.msg", "Receipts", "The receipts are attached.", HEADERS, photos)
    msg = mf.message("Receipts", "The receipts are attached.")
    for name, data in photos:
        msg.add_attachment(data, maintype="image", subtype="png", filename=name)
    return mf.write_eml(folder / "receipts.eml", msg)


def flat(text: str) -> str:
    return " ".join(text.split())


# -- the deadline, with a stand-in parser and clock ---------------------------------------------------

class StandIn:
    """Parses "photo" attachments in 2 s of a fake clock when given OCR, and "scan" ones as a
    3-page PDF whose page 1 OCR reads before its budget stops it; records what it was asked."""

    def __init__(self):
        self.now, self.asked = 0.0, []

    def __call__(self, name, data, depth, ocr, budget, pages):
        self.asked.append((name, ocr is not None, budget, pages))
        if name.startswith("scan"):
            if pages:  # the rest, without OCR: page 2 is scanned, page 3 typed
                return ParsedDocument("pdf", [Section("typed", 0, 3)], page_count=3, needs_ocr_pages=(2,),
                                      warnings=(OCR_OFF,))
            self.now += 2
            return ParsedDocument("pdf", [Section("read", 0, 1)], page_count=3, ocr_pages=(1,), next_page=2)
        if ocr is None:
            return ParsedDocument("image", [], needs_ocr_pages=(1,), warnings=(OCR_OFF,))
        self.now += 2
        return ParsedDocument("image", [Section(name, 0)], ocr_pages=(1,))


def test_attachments_share_one_deadline_and_ocr_past_it_is_left_and_counted():
    parse = StandIn()
    reader = AttachmentReader(parse, ocr=OcrOptions(), time_budget_s=5, clock=lambda: parse.now)
    docs = [reader(name, b"", 1) for name in ("photo-1", "photo-2", "photo-3", "photo-4")]
    # 0 s: read, given all 5 s; 2 s: read, given the 3 s left; 4 s: read, given 1 s; 6 s: past it.
    assert parse.asked == [("photo-1", True, 5, None), ("photo-2", True, 3, None), ("photo-3", True, 1, None),
                           ("photo-4", False, None, None)]
    assert docs[3].warnings == ()  # not "no text content", not "OCR is turned off": the file says why
    mail = reader.finish(ParsedDocument("mail", [Section("the message", 0, 1)]))
    assert (mail.ocr_pictures, mail.needs_ocr_pictures) == (3, 1)
    assert mail.warnings == (time_ran_out(1),)
    assert time_ran_out(1) == "time ran out before 1 picture in attachments could be read (Retry reads on)"


def test_a_paged_attachment_that_spends_the_time_is_read_on_without_ocr():
    parse = StandIn()
    reader = AttachmentReader(parse, ocr=OcrOptions(), time_budget_s=0, clock=lambda: parse.now)
    doc = reader("scan.pdf", b"", 1)  # the first with something for OCR: read whatever the time
    assert parse.asked == [("scan.pdf", True, 0, None), ("scan.pdf", False, None, (2, 3))]
    assert ([s.text for s in doc.sections], doc.needs_ocr_pages, doc.warnings) == (["read", "typed"], (2,), ())
    reader("photo-1", b"", 1)
    assert parse.asked[-1] == ("photo-1", False, None, None)
    assert (reader.read, reader.unread, reader.late) == (1, 2, 2)


def test_with_ocr_off_the_pictures_are_counted_and_said_once():
    parse = StandIn()
    reader = AttachmentReader(parse, ocr=None, time_budget_s=5, clock=lambda: parse.now)
    assert reader("photo-1", b"", 1).warnings == (NOT_READ,)
    mail = reader.finish(ParsedDocument("mail", [Section("the message", 0, 1)]))
    assert (mail.needs_ocr_pictures, mail.warnings) == (1, (OCR_OFF,))
    assert status_of(mail, True) == ("indexed", f"1 picture not read by OCR; {OCR_OFF}")


# -- real files, real OCR -----------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["mbox", "eml", "msg"])
def test_past_the_files_time_the_messages_are_read_and_the_photos_left_are_counted(tmp_path, form):
    path = mail_of_photos(tmp_path, form, 3)
    doc = parse_file(str(path), time_budget_s=0)  # spent at once: one photo is read, for progress
    assert (doc.ocr_pictures, doc.needs_ocr_pictures) == (1, 2), doc.warnings
    assert doc.warnings == (time_ran_out(2),)
    photos = [s for s in doc.sections if len(s.heading) > 1]
    assert len(photos) == 1 and "Taxi to Faro" in flat(photos[0].text)
    if form == "mbox":  # every message's body is there
        assert [s.page for s in doc.sections if len(s.heading) == 1] == [1, 2, 3]
        assert "Duarte 3" in doc.sections[-1].text
    assert status_of(doc, True)[0] == "needs_ocr"


def test_a_scan_attached_past_the_time_keeps_its_typed_pages(tmp_path):
    pdf = scans.mixed_pdf(tmp_path / "src.pdf", [scans.scan("Page one of the scanned lease.", dpi=150),
                                                  scans.scan("Page two of the scanned lease.", dpi=150),
                                                  "Page three is typed: the lease ends in June 2031."])
    msg = mf.message("Lease", "The lease is attached.")
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename="lease.pdf")
    doc = parse_file(str(mf.write_eml(tmp_path / "lease.eml", msg)), time_budget_s=0)
    assert [s.heading[1:] for s in doc.sections[1:]] == [("lease.pdf", "page 1"), ("lease.pdf", "page 3")]
    assert "June 2031" in doc.sections[-1].text
    assert (doc.ocr_pictures, doc.needs_ocr_pictures, doc.warnings) == (1, 1, (time_ran_out(1),))


# -- end to end: the real parser pool's timeout, a real sync, Retry, search ---------------------------

PHOTOS = 12
TIMEOUT_S = 8  # a task gets 4 s (slices.BUDGET_SHARE); 12 photos take ~15 s of OCR here


def read_by_ocr(reason: str) -> int:
    found = re.search(r"text of (\d+) pictures? read by OCR", reason)
    return int(found.group(1)) if found else 0


def test_a_mailbox_of_photos_beyond_the_timeout_is_indexed_and_retry_reads_on(docs, make_archivist):
    box = mail_of_photos(docs, "mbox", PHOTOS)
    archivist = make_archivist(parse_timeout_s=TIMEOUT_S)
    archivist.add_source(docs)
    assert archivist.sync().failed == 0
    record = archivist.manifest.get(str(box))
    assert record.status == "needs_ocr", record.reason  # before: failed, "parser timed out after 8 s"
    assert "in attachments could be read (Retry reads on)" in record.reason
    read = [read_by_ocr(record.reason)]
    assert 0 < read[0] < PHOTOS
    hit = archivist.search("What was the name of the driver in Nazare?", filters=Filters(path=str(box))).hits[0]
    assert (hit.page, hit.heading) == (PHOTOS, f"Receipt {PHOTOS}") and "Duarte 12" in hit.text  # every body

    for _ in range(PHOTOS):  # each Retry reads on: what was read comes from the cache
        if record.status == "indexed":
            break
        archivist.sync(retry=True)
        record = archivist.manifest.get(str(box))
        read.append(read_by_ocr(record.reason))
        assert read[-1] > read[-2], (read, record.reason)
    assert (record.status, record.reason) == ("indexed", f"text of {PHOTOS} pictures read by OCR"), read
    hit = archivist.search("How much was the taxi to Nazare?", filters=Filters(path=str(box))).hits[0]
    assert (hit.page, hit.heading) == (PHOTOS, f"Receipt {PHOTOS} > receipt-{PHOTOS}.png") and "22.40" in hit.text
