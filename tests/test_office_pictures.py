"""Text in the pictures inside DOCX, ODT, PPTX and ODP is read by OCR and put where the picture is
(after its paragraph, under its heading; after a slide's text frames), marked as read off a picture.
Icons, rules, vector pictures and repeats are passed over; OCR off, or out of time, says so.
Fixtures: tests/fixtures/picture_files.py; the search runs on the real model, LanceDB and parser processes."""

from __future__ import annotations

import dataclasses
import io
import json

import docx
import pytest

from core.parsing import ParseError, parse_file
from core.parsing.model import NEEDS_OCR, OCR_OFF
from core.parsing.ocr.options import OcrOptions
from core.parsing.pictures import PICTURE_LABEL
from core.search import Filters
from tests.fixtures import picture_files as pf


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def ocr_calls(monkeypatch) -> list:
    """The shapes of the images the OCR engine is given (in this process)."""
    from core.parsing.ocr.rapid import RapidEngine

    calls, real = [], RapidEngine.read  # any engine: one per data folder (where its models are made)
    monkeypatch.setattr(RapidEngine, "read", lambda self, rgb: calls.append(rgb.shape) or real(self, rgb))
    return calls


def test_a_docx_picture_is_read_after_its_paragraph_under_its_heading(tmp_path):
    doc = parse_file(str(pf.report_docx(tmp_path / "report.docx")))
    assert [s.heading for s in doc.sections] == [("Introduction",), ("Access",), ("Appendix",)]
    access = doc.sections[1].text
    assert access.startswith("Access\n\nThe notice on the door is photographed below.\n\n" + PICTURE_LABEL + "\n")
    assert access.endswith("\n\nKeys are kept at the reception desk.")
    assert pf.FACTS["docx"] in flat(access)
    assert (doc.ocr_pictures, doc.needs_ocr_pictures, doc.warnings) == (1, 0, ())


def test_an_odt_picture_is_read_once_from_its_frame_whose_svg_has_no_pixels(tmp_path, ocr_calls):
    doc = parse_file(str(pf.site_odt(tmp_path / "site.odt")))
    assert [s.heading for s in doc.sections] == [("Site visit",), ("Next steps",)]
    text = doc.sections[0].text
    assert text.startswith(f"Site visit\n\nThe sign at the gate reads:\n\n{PICTURE_LABEL}\n")
    assert pf.FACTS["odt"] in flat(text) and text.endswith("\n\nThe visit took an hour.")
    assert len(ocr_calls) == 1 and (doc.ocr_pictures, doc.warnings) == (1, ())


@pytest.mark.parametrize("name", ["deck.pptx", "depot.odp"])
def test_a_slide_picture_is_read_after_its_text_frames_before_its_notes(tmp_path, name):
    if name.endswith(".pptx"):
        doc = parse_file(str(pf.deck_pptx(tmp_path / name)))
        fact, before, after = pf.FACTS["slides"], "Rotterdam\n\nThe board of slide 2 is photographed.", (
            "\n\nSpeaker notes:\nCheck the dates with the port.")
    else:
        doc = parse_file(str(pf.depot_odp(tmp_path / name)))
        fact, before, after = pf.FACTS["odp"], "Depot\n\nStock as counted.", ""
    slide = doc.sections[1]
    assert (slide.page, len(doc.sections), doc.ocr_pictures) == (2, 2 if name.endswith(".odp") else 3, 1)
    assert slide.text.startswith(f"{before}\n\n{PICTURE_LABEL}\n") and slide.text.endswith(after or fact)
    assert fact in flat(slide.text)
    assert all(PICTURE_LABEL not in s.text for s in doc.sections if s.page != 2)


def test_icons_rules_tiny_vector_and_repeated_pictures_are_passed_over_silently(tmp_path, ocr_calls):
    doc = parse_file(str(pf.passed_over_docx(tmp_path / "mixed.docx")))
    # Read: the fact's picture, once (it is in the file twice). Not given to OCR: the 48 px icon,
    # the 3 px rule, the picture shown 0.8 cm wide, the WMF (no error, no warning).
    assert ocr_calls == [(417, 875, 3)]
    (section,) = doc.sections
    assert section.text.count(PICTURE_LABEL) == 1 and pf.FACTS["docx"] in flat(section.text)
    assert (doc.ocr_pictures, doc.needs_ocr_pictures) == (1, 0)
    assert [w for w in doc.warnings if "picture" in w.lower() or "OCR" in w] == []


def test_a_picture_read_once_comes_back_from_the_cache_without_being_decoded(tmp_path, ocr_calls, monkeypatch):
    from core.parsing import pictures

    path = pf.report_docx(tmp_path / "report.docx")
    options = OcrOptions(data_dir=str(tmp_path / "data"), owner="content-1")
    first = parse_file(str(path), ocr=options)
    monkeypatch.setattr(pictures, "frame_pixels", lambda image: pytest.fail("a cached picture was decoded"))
    again = parse_file(str(path), ocr=options)  # read again (a Retry, a newer reader)
    shown = parse_file(str(path), ocr=dataclasses.replace(options, owner=None, cached_only=True))  # the preview
    assert again.sections == shown.sections == first.sections and len(ocr_calls) == 1


def test_a_damaged_picture_is_a_warning_not_a_need_for_ocr(tmp_path):
    picture = pf.text_picture(pf.FACTS["docx"])
    path = pf.swap_media(pf.report_docx(tmp_path / "report.docx", picture), picture, "png", picture[:2000], "image/png")
    doc = parse_file(str(path))
    assert (doc.ocr_pictures, doc.needs_ocr_pictures, doc.warnings) == (0, 0, ("1 picture could not be decoded",))
    assert doc.sections[1].text.endswith("photographed below.\n\nKeys are kept at the reception desk.")


def test_with_ocr_off_the_text_is_as_before_and_the_pictures_are_counted(tmp_path, ocr_calls):
    path = pf.report_docx(tmp_path / "report.docx")
    doc = parse_file(str(path), ocr=False)
    assert doc.sections[1].text == ("Access\n\nThe notice on the door is photographed below.\n\n"
                                    "Keys are kept at the reception desk.")
    assert (doc.ocr_pictures, doc.needs_ocr_pictures, doc.warnings) == (0, 1, (OCR_OFF,))
    # A document that is all pictures (a scanned letter pasted into Word) needs OCR, like a scan.
    with pytest.raises(ParseError) as caught:
        parse_file(str(pf.pictures_only_docx(tmp_path / "letter.docx")), ocr=False)
    assert caught.value.reason == NEEDS_OCR and caught.value.details["needs_ocr_pictures"] == 1
    assert ocr_calls == []


def test_a_documents_pictures_stop_when_its_time_is_spent(tmp_path):
    pictures = [pf.text_picture(f"Notice number {n} of the archive.") for n in (1, 2, 3)]
    path = tmp_path / "three.docx"
    pf.report_docx(path, pictures[0])
    document = docx.Document(str(path))
    for picture in pictures[1:]:
        document.add_picture(io.BytesIO(picture))
    document.save(str(path))
    doc = parse_file(str(path), time_budget_s=0)  # one picture is read whatever the budget
    assert (doc.ocr_pictures, doc.needs_ocr_pictures) == (1, 2)
    assert "time ran out before 2 pictures could be read (Retry reads on)" in doc.warnings
    assert "Notice number 1" in flat(doc.sections[1].text)


def test_a_deck_stops_between_slides_and_the_next_window_goes_on_without_repeats(tmp_path):
    board = pf.text_picture("Board one lists the Hamburg route.")
    path = pf.deck_pptx(tmp_path / "deck.pptx", {1: board, 2: pf.text_picture(pf.FACTS["slides"]), 3: board})
    whole = parse_file(str(path))
    assert [PICTURE_LABEL in s.text for s in whole.sections] == [True, True, False]  # slide 3: the same board
    first = parse_file(str(path), page_range=(1, 3), time_budget_s=0)
    assert first.next_page == 2 and [s.page for s in first.sections] == [1]
    rest = parse_file(str(path), page_range=(2, 3), time_budget_s=None)
    assert rest.next_page is None and first.sections + rest.sections == whole.sections
    assert (first.needs_ocr_pictures, rest.needs_ocr_pictures) == (0, 0)


# -- end to end: a real sync, a real search ---------------------------------------------------------

def top_hit(archivist, query: str, path):
    hits = archivist.search(query, filters=Filters(path=str(path))).hits
    assert hits, query
    return hits[0]


def test_values_in_pictures_are_found_and_cited_where_the_pictures_are(docs, make_archivist):
    report, deck = pf.report_docx(docs / "report.docx"), pf.deck_pptx(docs / "deck.pptx")
    site, depot = pf.site_odt(docs / "site.odt"), pf.depot_odp(docs / "depot.odp")
    archivist = make_archivist()
    archivist.add_source(docs)
    assert archivist.sync().failed == 0
    for path in (report, deck, site, depot):
        record = archivist.manifest.get(str(path))
        assert (record.status, record.reason) == ("indexed", "text of 1 picture read by OCR")

    hit = archivist.search("What is the locker code of the archive room?").hits[0]
    assert (hit.path, hit.heading, hit.kind) == (str(report), "Access", "docx") and "4417" in hit.text
    assert PICTURE_LABEL in hit.text
    hit = archivist.search("When does shipment 88 leave Rotterdam?").hits[0]
    assert (hit.path, hit.page, hit.heading, hit.kind) == (str(deck), 2, "Rotterdam", "slides")
    assert "12 May" in hit.text
    hit = top_hit(archivist, "Where do visitors sign in?", site)
    assert hit.heading == "Site visit" and "gate 7" in hit.text
    hit = top_hit(archivist, "How many pallets does the Oslo depot store?", depot)
    assert (hit.page, hit.heading) == (2, "Depot") and "320 pallets" in hit.text


def test_with_ocr_off_pictures_are_noted_and_a_document_of_pictures_needs_ocr(docs, make_archivist):
    report, letter = pf.report_docx(docs / "report.docx"), pf.pictures_only_docx(docs / "letter.docx")
    archivist = make_archivist(ocr=False)
    archivist.add_source(docs)
    archivist.sync()
    record = archivist.manifest.get(str(report))
    assert (record.status, record.reason) == ("indexed", f"1 picture not read by OCR; {OCR_OFF}")
    record = archivist.manifest.get(str(letter))
    assert (record.status, record.reason) == ("needs_ocr", f"1 picture not read by OCR; {OCR_OFF}")


def test_documents_indexed_before_pictures_were_read_are_read_again_once(docs, make_archivist):
    report = pf.report_docx(docs / "report.docx")
    before = make_archivist(ocr=False)  # no picture text, as the reader before this one
    before.add_source(docs)
    before.sync()
    versions = json.loads(before.manifest.get_meta("reader_versions"))
    before.manifest.set_meta("reader_versions", json.dumps({k: v for k, v in versions.items()
                                                            if k not in ("docx", "slides", "odt")}))
    before.close()
    now = make_archivist()
    assert now.manifest.get(str(report)).status == "pending"
    assert now.sync().failed == 0
    assert now.manifest.get(str(report)).reason == "text of 1 picture read by OCR"
    assert "4417" in now.search("What is the locker code of the archive room?").hits[0].text


def test_a_decks_pictures_beyond_one_tasks_budget_are_read_in_several_tasks(tmp_path):
    import threading

    from core.parsing import ParserPool
    from core.parsing.slices import parse_in_slices

    class ShortTimeout:
        """The real pool (a generous timeout), said to time out at 2 s: each task gets 1 s."""

        timeout_s = 2

        def __init__(self, pool):
            self.pool, self.asked = pool, []

        def submit(self, path, **kwargs):
            self.asked.append(kwargs["page_range"])
            return self.pool.submit(path, **kwargs)

    boards = {n: pf.text_picture(f"Board {n} lists the route to harbour number {n}.") for n in (1, 2, 3, 4)}
    deck = pf.deck_pptx(tmp_path / "deck.pptx", boards, slides=4)
    with ParserPool(timeout_s=300) as pool:
        windows = ShortTimeout(pool)
        doc = parse_in_slices(windows, str(deck), threading.Event(), ocr=OcrOptions(data_dir=str(tmp_path / "data")))
    assert [s.page for s in doc.sections] == [1, 2, 3, 4] and doc.ocr_pictures == 4, doc.warnings
    assert all(f"harbour number {n}" in flat(s.text) for n, s in enumerate(doc.sections, 1))
    starts = [first for first, _ in windows.asked]
    assert len(starts) > 1 and starts[0] == 1 and starts == sorted(set(starts))  # each goes on where the last stopped
