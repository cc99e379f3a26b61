"""Slide decks (PPTX, ODP), ODT and RTF are read and cited on the right slide; Office 97–2003 and
damaged files get a reason a user can act on, and never stop the others. Fixtures are generated
(tests/fixtures/office_files.py); the search runs on the real model, LanceDB and parser processes."""

from __future__ import annotations

import os
import threading
import time
import zipfile

import pytest
from pptx import Presentation

from core.cli_evidence import source_line
from core.parsing import ParseError, ParserPool, parse_file, slices
from core.parsing.deck import split_slide
from core.search import Filters
from helpers import FACTS, FILLER, write
from tests.fixtures import office_files as of


def parsed(path) -> list[tuple[int | None, tuple[str, ...], str]]:
    doc = parse_file(str(path))
    return [(s.page, s.heading, s.text) for s in doc.sections]


def refusal(path) -> tuple[str, str]:
    with pytest.raises(ParseError) as caught:
        parse_file(str(path))
    return caught.value.status, caught.value.reason


# -- slides ---------------------------------------------------------------------------------------

def test_pptx_a_section_per_slide_in_reading_order_with_notes_last(tmp_path):
    deck = of.deck_pptx(tmp_path / "deck.pptx")
    doc = parse_file(str(deck))
    assert (doc.kind, doc.page_count, doc.title) == ("slides", 3, "Quarterly review")
    (p1, h1, t1), (p2, h2, t2), (p3, h3, t3) = parsed(deck)
    assert (p1, h1, t1) == (1, ("Quarterly review",), "Quarterly review\n\nPrepared by the Lisbon office")
    # Title first, then top to bottom whatever order the shapes were added in; the table's rows
    # keep their header's names; the notes close the slide.
    assert (p2, h2) == (2, ("Invoices",))
    assert t2 == ("Invoices\n\nOpen items\n\n"
                  "Invoice: 2024-117 · Amount: 1,250.00 · Due: 30 June\n"
                  "Invoice: 2024-118 · Amount: 980.00 · Due: 15 July\n\n"
                  "All amounts in euros, before tax.\n\n"
                  f"Speaker notes:\n{of.DECK_FACTS['notes']}")
    # No title: "Slide 3"; hidden from the show: said in the heading; a group read inside out,
    # top to bottom, its soft line break kept.
    assert (p3, h3) == (3, ("Slide 3 (hidden)",))
    assert t3 == f"Logistics\nand shipping\n\n{of.DECK_FACTS['group']}"
    assert split_slide(t2, h2[0]) == (len("Invoices"), t2.index("Speaker notes:"))
    assert split_slide(t3, h3[0]) == (0, len(t3))


def test_odp_slides_read_like_pptx(tmp_path):
    talk = of.talk_odp(tmp_path / "talk.odp")
    doc = parse_file(str(talk))
    assert (doc.kind, doc.page_count, doc.title) == ("slides", 3, "Rail strategy")
    assert parsed(talk) == [
        (1, ("Rail strategy",), f"Rail strategy\n\n{of.ODP_FACTS['body']}\nDay trains are full."),
        (2, ("Prices (hidden)",), "Prices\n\nGrouped shape\n\nTicket: Zürich-Milano · Price: 49 CHF\n\n"
                                  f"Lower box\n\nSpeaker notes:\n{of.ODP_FACTS['notes']}"),
        (3, ("Slide 3",), "Questions?"),
    ]  # the page number frame is left out


@pytest.mark.parametrize("name", ["deck.pptx", "talk.odp"])
def test_a_window_of_slides_is_those_slides(tmp_path, name):
    path = (of.deck_pptx if name.endswith("pptx") else of.talk_odp)(tmp_path / name)
    whole = parse_file(str(path))
    window = parse_file(str(path), page_range=(2, 3))
    assert window.page_count == 3 and window.sections == whole.sections[1:]


def test_a_long_deck_read_in_windows_has_every_slide_once(tmp_path):
    prs = Presentation()
    count = slices.SLICE_PAGES + 12
    for n in range(1, count + 1):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = f"Topic {n}"
        slide.placeholders[1].text = f"Point number {n} of the long deck."
    prs.save(tmp_path / "long.pptx")
    with ParserPool(workers=1) as pool:
        doc = slices.parse_in_slices(pool, str(tmp_path / "long.pptx"), threading.Event())
    assert doc.page_count == count
    assert [s.page for s in doc.sections] == list(range(1, count + 1))
    assert doc.sections[-1].heading == (f"Topic {count}",)


# -- ODT and RTF ----------------------------------------------------------------------------------

def test_odt_headings_build_the_path_and_tables_lists_and_footnotes_are_read(tmp_path):
    report = of.report_odt(tmp_path / "report.odt")
    doc = parse_file(str(report))
    assert (doc.kind, doc.title, doc.page_count) == ("odt", "Annual report", None)
    assert parsed(report) == [
        (None, ("Finance",), "Finance\n\nThe yearly report of the Lisbon office.  End."),
        (None, ("Finance", "Invoices"),
         "Invoices\n\nInvoice: INV-2024-0042 · Client: Globex Corporation · Amount: 1,250 euros\n\n"
         f"Totals are checked every quarter.\n\n{of.ODT_FACTS['note']}"),
        (None, ("Operations",), f"Operations\n\n{of.ODT_FACTS['list']}\nSecond item\non two lines\nA nested item"),
        (None, ("Header",), "Acme Ltd — confidential"),  # once, though the left pages repeat it
        (None, ("Footer",), "Lisbon office"),
    ]  # no table of contents, no tracked deletion


def test_odt_offsets_point_into_one_text(tmp_path):
    doc = parse_file(str(of.report_odt(tmp_path / "report.odt")))
    last = doc.sections[-1]
    assert last.start == sum(len(s.text) + 2 for s in doc.sections[:-1])


def test_rtf_accents_from_code_page_and_unicode_escapes(tmp_path):
    letter = of.letter_rtf(tmp_path / "lettre.rtf")
    ((page, heading, text),) = parsed(letter)
    assert (page, heading) == (None, ())
    assert text.splitlines()[:3] == ["Chère Madame,", of.RTF_FACT, "Prix : 12 € le menu."]
    assert "Salle|40 places" in text and "Page header" not in text
    # A character beyond the BMP (\u-10179?\u-8704? is U+1F600) arrives whole, never as halves.
    emoji = tmp_path / "emoji.rtf"
    emoji.write_bytes(rb"{\rtf1\ansi\uc1 smile \u-10179?\u-8704? and a lone \u-10179? half\par}")
    assert parsed(emoji)[0][2] == "smile \U0001F600 and a lone \ufffd half"
    assert parse_file(str(emoji)).kind == "rtf"


def test_rtf_pictures_are_skipped_without_reading_them(tmp_path):
    """Megabytes of a picture's hex digits would take striprtf seconds a megabyte."""
    line = b"89504e470d0a1a0a0000000d49484452" * 4 + b"\r\n"
    picture = rb"{\*\shppict{\pict\pngblip " + line * (8 * 2**20 // len(line)) + b"}}"
    path = tmp_path / "photo.rtf"
    path.write_bytes(rb"{\rtf1\ansi Before the photo.\par " + picture + rb" After the photo.\par}")
    started = time.perf_counter()
    ((_page, _heading, text),) = parsed(path)
    assert time.perf_counter() - started < 2.0
    assert text == "Before the photo.\n After the photo."


# -- reasons --------------------------------------------------------------------------------------

WORD = "Word 97–2003 document: save it as .docx to index it"
POWERPOINT = "PowerPoint 97–2003 presentation: save it as .pptx to index it"


@pytest.mark.parametrize("name, streams, reason", [
    ("minutes.doc", ["WordDocument", "1Table"], WORD),
    ("pitch.ppt", ["PowerPoint Document", "Current User"], POWERPOINT),
    ("renamed.pptx", ["WordDocument"], WORD),  # by what it is, not what it is called
    ("locked.pptx", ["EncryptionInfo", "EncryptedPackage"], "encrypted: needs a password"),
    ("other.doc", ["Contents"], "unsupported legacy Office format"),
])
def test_office_97_files_get_a_reason_to_act_on(tmp_path, name, streams, reason):
    assert refusal(of.ole2(tmp_path / name, streams)) == ("skipped", reason)


def damaged(tmp_path, name: str) -> str:
    path = tmp_path / name
    if name == "cut.pptx":
        data = (of.deck_pptx(tmp_path / "whole.pptx")).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif name == "text.pptx":
        path.write_text("not a presentation at all")
    elif name == "empty.odt":  # an OpenDocument mimetype and nothing else
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    elif name == "broken.odp":
        of.odf_package(path, "presentation", "<draw:page><draw:frame>")
    elif name == "no_header.rtf":
        path.write_text("just words in a file named .rtf")
    return str(path)


@pytest.mark.parametrize("name, reason", [
    ("cut.pptx", "unreadable presentation: damaged ZIP container"),
    ("text.pptx", "unreadable presentation: not a ZIP package"),
    ("empty.odt", "unreadable ODT: content.xml is missing"),
    ("broken.odp", "unreadable ODP: malformed content.xml"),
    ("no_header.rtf", "unreadable RTF: it does not start with {\\rtf"),
])
def test_damaged_files_fail_with_their_reason(tmp_path, name, reason):
    status, said = refusal(damaged(tmp_path, name))
    assert status == "failed" and said.startswith(reason), said


@pytest.mark.parametrize("name, member, reason", [
    ("bomb.pptx", "ppt/slides/slide1.xml", "presentation unpacks to 600"),
    ("bomb.odt", "content.xml", "ODT unpacks to 600"),
])
def test_a_zip_bomb_is_refused_by_its_declared_size(tmp_path, name, member, reason):
    path = (of.deck_pptx if name.endswith("pptx") else of.report_odt)(tmp_path / name)
    of.declare_size(path, member, 600 * 2**20)
    status, said = refusal(path)
    assert status == "failed" and said.startswith(reason) and said.endswith("(limit 512 MB): possible zip bomb")


def test_an_empty_deck_has_no_text_content(tmp_path):
    prs = Presentation()
    prs.slides.add_slide(prs.slide_layouts[6])
    prs.save(tmp_path / "blank.pptx")
    assert refusal(tmp_path / "blank.pptx") == ("skipped", "no text content")


# -- end to end -----------------------------------------------------------------------------------

def top_hit(archivist, query: str, path):
    hits = archivist.search(query, filters=Filters(path=str(path))).hits
    assert hits, f"nothing found for {query!r}"
    return hits[0]


def test_a_folder_of_office_files_is_searched_and_cited_on_the_right_slide(docs, tmp_path, make_archivist):
    deck, talk = of.deck_pptx(docs / "deck.pptx"), of.talk_odp(docs / "talk.odp")
    report, letter = of.report_odt(docs / "report.odt"), of.letter_rtf(docs / "lettre.rtf")
    of.ole2(docs / "minutes.doc", ["WordDocument", "1Table"])
    of.ole2(docs / "pitch.ppt", ["PowerPoint Document", "Current User"])
    bad = {name: damaged(docs, name) for name in ("cut.pptx", "broken.odp")}
    os.remove(docs / "whole.pptx")  # cut.pptx's source
    write(docs / "finance.md", f"# Finance\n\n{FILLER}\n\n{FACTS[1]}\n")

    archivist = make_archivist()
    archivist.add_source(docs)
    result = archivist.sync()
    records = {os.path.basename(r.path): r for r in archivist.files()}
    assert {n: r.status for n, r in records.items()} == {
        "deck.pptx": "indexed", "talk.odp": "indexed", "report.odt": "indexed", "lettre.rtf": "indexed",
        "finance.md": "indexed", "minutes.doc": "skipped", "pitch.ppt": "skipped",
        "cut.pptx": "failed", "broken.odp": "failed"}
    assert result.failed == 2
    assert (records["minutes.doc"].reason, records["pitch.ppt"].reason) == (WORD, POWERPOINT)
    assert records["deck.pptx"].pages == 3 and records["deck.pptx"].kind == "slides"
    assert all(records[n].reason for n in bad)

    # A value in a table, the speaker notes, a group on a hidden slide: each on its slide.
    for query, fact, slide, heading in [
        ("invoice 2024-117 amount", "2024-117", 2, "Invoices"),
        ("When does the Zephyr audit close?", of.DECK_FACTS["notes"], 2, "Invoices"),
        ("Which day does the Porto warehouse ship?", of.DECK_FACTS["group"], 3, "Slide 3 (hidden)"),
    ]:
        hit = top_hit(archivist, query, deck)
        assert (hit.kind, hit.page, hit.heading) == ("slides", slide, heading) and fact in hit.text
    hit = top_hit(archivist, "When does the Zephyr audit close?", deck)
    assert source_line(1, hit).startswith(f"[1] {deck} (slide 2) · Invoices")

    hit = top_hit(archivist, "How many riders did the Oslo pilot have?", talk)
    assert (hit.page, hit.heading) == (2, "Prices (hidden)") and of.ODP_FACTS["notes"] in hit.text
    hit = top_hit(archivist, "price of a Zürich-Milano ticket", talk)
    assert hit.page == 2 and of.ODP_FACTS["table"] in hit.text

    hit = top_hit(archivist, "Which client got invoice INV-2024-0042?", report)
    assert (hit.kind, hit.page, hit.heading) == ("odt", None, "Finance > Invoices")
    assert "Client: Globex Corporation" in hit.text
    assert source_line(1, hit).startswith(f"[1] {report} (chars ")
    hit = top_hit(archivist, "At what time do backups run?", report)
    assert hit.heading == "Operations" and of.ODT_FACTS["list"] in hit.text

    hit = top_hit(archivist, "À quelle heure ouvre le café de la gare ?", letter)
    assert hit.kind == "rtf" and of.RTF_FACT in hit.text
    assert top_hit(archivist, "INV-2024-0042 Globex", docs / "finance.md").path.endswith("finance.md")


def test_a_slide_is_named_a_slide_wherever_a_citation_is_written(data_dir):
    from core import layout
    from core.conversations import ConversationStore
    from core.twins import describe_twins

    assert describe_twins([("/d/deck.pptx", 2), ("/d/deck.pdf", 2), ("/d/notes.md", None)]) == \
        "also in deck.pptx (slide 2), deck.pdf (p. 2), notes.md"
    store = ConversationStore(layout.conversations_path(data_dir))
    try:
        conv = store.create("Deck")
        store.add_message(conv.id, "user", "When does the audit close?")
        store.add_message(conv.id, "assistant", "On 14 March [1].", engine="ollama", model="m", citations=[
            {"n": 1, "path": "/d/deck.pptx", "page": 2, "heading": "Invoices", "start": 0, "end": 40,
             "snippet": of.DECK_FACTS["notes"], "score": 0.1, "kind": "slides"}])
        assert "- \\[1\\] /d/deck.pptx, slide 2 — Invoices" in store.export_markdown(conv.id)
    finally:
        store.close()
