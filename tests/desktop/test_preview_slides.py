"""The preview of a cited slide: the slide as a card with its notes, the passage marked, paging
through the deck; ODT and RTF shown as text with the passage marked. Real index, real files."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict

import pytest
from pptx import Presentation

from core.answer.citations import Citation
from core.search import Filters
from desktop.preview_slide import is_slide
from helpers import bump_mtime, synced
from tests.fixtures import office_files as of

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def office(docs, make_archivist):
    of.deck_pptx(docs / "deck.pptx")
    of.talk_odp(docs / "talk.odp")
    of.report_odt(docs / "report.odt")
    of.letter_rtf(docs / "lettre.rtf")
    return synced(make_archivist, docs)


def hit_in(archivist, query: str, path):
    hits = archivist.search(query, filters=Filters(path=str(path))).hits
    assert hits, query
    return hits[0]


def show(qtbot, pane, citation: dict):
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        pane.show_citation(citation)


def page(qtbot, pane, move):
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        move()


def marked_pieces(pane) -> list[str]:
    return [s.cursor.selectedText().replace("\u2029", "\n") for s in pane._slide_view.extraSelections()]


def as_citation(hit) -> dict:
    snippet = " ".join(hit.text.split())[:300]
    return asdict(Citation(1, hit.path, hit.page, hit.heading, hit.start, hit.end, snippet, hit.score,
                           kind=hit.kind))


def yellow_pixels(widget) -> int:
    image = widget.grab().toImage()
    count = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            count += c.red() > 230 and 190 < c.green() < 245 and c.blue() < 160
    return count


@pytest.mark.parametrize("shape", ["hit", "citation"])
def test_a_cited_slide_shows_as_a_card_with_its_notes_and_the_passage_marked(qtbot, pane, docs, office, shape):
    hit = hit_in(office, "When does the Zephyr audit close?", docs / "deck.pptx")
    assert (hit.page, hit.heading) == (2, "Invoices") and of.DECK_FACTS["notes"] in hit.text
    show(qtbot, pane, asdict(hit) if shape == "hit" else as_citation(hit))
    assert pane._stack.currentWidget() is pane._slide_view
    assert (pane.current_page, pane.page_count, pane.note, pane.message) == (2, 3, "", "")
    assert pane._where.text() == "Slide 2 of 3 · Invoices"
    assert pane.highlighted_text == hit.text
    # On screen: the title, the table's rows, the notes apart under their label; the passage is
    # marked in each part it covers, word for word.
    shown = pane._slide_view.toPlainText()
    for part in ("Invoices", "Invoice: 2024-117 · Amount: 1,250.00", "Speaker notes", of.DECK_FACTS["notes"]):
        assert part in shown
    assert "Speaker notes:" not in shown  # the label is drawn, not the text's marker line
    assert " ".join(marked_pieces(pane)).split() == hit.text.replace("Speaker notes:", "").split()
    assert yellow_pixels(pane._slide_view) > 50


def test_paging_through_the_deck_marks_only_the_cited_slide(qtbot, pane, docs, office):
    hit = hit_in(office, "Which day does the Porto warehouse ship?", docs / "deck.pptx")
    show(qtbot, pane, asdict(hit))
    assert pane.current_page == 3 and marked_pieces(pane)
    assert pane._where.text() == "Slide 3 of 3 · Slide 3 (hidden)"
    assert "hidden in the slide show" in pane._slide_view.toPlainText()
    page(qtbot, pane, pane.previous_page)
    assert pane.current_page == 2 and marked_pieces(pane) == [] and pane.highlighted_text == ""
    assert pane._where.text() == "Slide 2 of 3 · Invoices · cited on slide 3"
    page(qtbot, pane, lambda: pane.go_to_page(1))
    assert "Quarterly review" in pane._slide_view.toPlainText()
    page(qtbot, pane, lambda: pane.go_to_page(3))
    assert pane.highlighted_text == hit.text


def test_an_odp_slide_and_zoom(qtbot, pane, docs, office):
    hit = hit_in(office, "How many riders did the Oslo pilot have?", docs / "talk.odp")
    show(qtbot, pane, asdict(hit))
    assert (pane.current_page, pane.page_count) == (2, 3) and pane.highlighted_text == hit.text
    assert pane._where.text() == "Slide 2 of 3 · Prices (hidden)"
    size = pane._slide_view.font().pointSizeF()
    pane._zoom_in.click()
    assert pane._slide_view.font().pointSizeF() > size


def test_a_passage_on_a_slide_that_moved_is_found_on_its_new_slide(qtbot, pane, docs, office):
    hit = hit_in(office, "When does the Zephyr audit close?", docs / "deck.pptx")
    deck = docs / "deck.pptx"
    prs = Presentation(deck)
    new = prs.slides.add_slide(prs.slide_layouts[5])
    new.shapes.title.text = "Agenda"
    order = prs.slides._sldIdLst
    order.insert(0, order[-1])  # the new slide first: the cited one is now slide 3
    prs.save(deck)
    bump_mtime(deck)
    show(qtbot, pane, asdict(hit))
    assert pane.current_page == 3 and pane.highlighted_text == hit.text
    assert pane.note == "This passage is now on slide 3; the file changed after indexing."

    prs = Presentation(deck)
    prs.slides[2].notes_slide.notes_text_frame.text = "Nothing to say."
    prs.save(deck)
    bump_mtime(deck)
    show(qtbot, pane, asdict(hit))
    assert pane.current_page == 2 and marked_pieces(pane) == []
    assert pane.note == "This passage is no longer in the file; it changed after indexing."


@pytest.mark.parametrize("name, query, heading", [
    ("report.odt", "Which client got invoice INV-2024-0042?", "Finance > Invoices"),
    ("lettre.rtf", "À quelle heure ouvre le café de la gare ?", ""),
])
def test_odt_and_rtf_are_shown_as_text_with_the_passage_marked(qtbot, pane, docs, office, name, query, heading):
    hit = hit_in(office, query, docs / name)
    assert hit.heading == heading and hit.page is None
    show(qtbot, pane, asdict(hit))
    assert pane._stack.currentWidget() is pane._text_view
    assert pane.highlighted_text == hit.text and pane.note == ""
    (selection,) = pane._text_view.extraSelections()
    assert selection.cursor.selectedText().replace("\u2029", "\n") == hit.text


def test_a_citation_without_its_kind_is_still_a_slide():
    assert is_slide({"path": "/d/deck.pptx", "page": 2, "kind": ""})
    assert is_slide({"path": "/d/talk.odp", "page": 1})
    assert not is_slide({"path": "/d/book.pdf", "page": 2, "kind": "pdf"})
    assert not is_slide({"path": "/d/report.odt", "page": None, "kind": "odt"})


def test_an_answer_copied_names_the_slide(qtbot, view):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    cited = {"n": 1, "path": "/docs/deck.pptx", "page": 2, "heading": "Invoices", "start": 0, "end": 40,
             "snippet": "Remind Globex.", "score": 0.03, "inferred": False, "kind": "slides"}
    widget = view.add_answer("m1", "On 14 March [1].", [cited], "complete", "ollama", "m")
    (card,) = widget.sources.cards
    assert card.accessibleName() == "Source 1: deck.pptx, slide 2"
    qtbot.mouseClick(widget.copy_button, Qt.MouseButton.LeftButton)
    assert "[1] /docs/deck.pptx, slide 2 (Invoices)" in QGuiApplication.clipboard().text()


def test_a_resize_just_before_a_slide_is_shown_keeps_the_slide(qtbot, pane, tmp_path):
    """The page view of the PDF shown before hears the resize, and answers it after a debounce:
    by then a slide is on screen, which must not be rendered as a PDF page."""
    from core.parsing import parse_file
    from helpers import make_pdf

    pdf = make_pdf(tmp_path / "a.pdf", ["Hello world, page one."])
    show(qtbot, pane, dict(path=str(pdf), page=1, heading="", start=0, end=5, text="Hello", score=0.0))
    deck = of.deck_pptx(tmp_path / "deck.pptx")
    slide = parse_file(str(deck)).sections[1]
    start = slide.text.index(of.DECK_FACTS["notes"])
    pane.resize(pane.width() + 200, pane.height())  # the page view's debounce starts
    show(qtbot, pane, dict(path=str(deck), kind="slides", page=2, heading="Invoices", start=start,
                           end=start + len(of.DECK_FACTS["notes"]), text=of.DECK_FACTS["notes"], score=0.0))
    assert marked_pieces(pane) == [of.DECK_FACTS["notes"]]
    failures = []
    pane.failed.connect(failures.append)
    qtbot.wait(800)  # past the debounce
    assert failures == [] and pane.message == "" and pane._stack.currentWidget() is pane._slide_view


def test_a_decks_tooltip_counts_slides():
    from core.manifest import INDEXED, FileRecord
    from desktop.files_model import tooltip_of

    deck = FileRecord(path="/d/deck.pptx", source="/d", size=2048, mtime_ns=0, content_hash="h", status=INDEXED,
                      reason="", kind="slides", chunks=5, pages=12, attempts=0, retry_after=None, updated_at=0.0)
    assert tooltip_of(deck).splitlines()[-1] == "2.0 KB · 12 slides · 5 passages"
    assert "12 pages" in tooltip_of(dataclasses.replace(deck, path="/d/a.pdf", kind="pdf"))
