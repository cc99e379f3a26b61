"""The source preview finds and marks the cited passage in real files indexed by the real core."""

from __future__ import annotations

import os
import time
from dataclasses import asdict

import pymupdf
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QAbstractButton, QApplication

from core.answer.citations import Citation
from desktop.preview import PreviewPane
from desktop.preview_locate import PAGE_TEXT_FLAGS
from desktop.file_urls import local_path
from helpers import FACTS, FILLER, bump_mtime, make_pdf, snapshot_tree, synced, write, write_named

# The offscreen platform cannot resize top-level windows to their size hints and says so.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

PAGES = [
    "Chapter one is about the Lisbon warehouse and its opening hours. " + FILLER * 3,
    FILLER * 4 + FACTS[0] + " " + FILLER,
    "Appendix: the Zephyr protocol glossary and a list of acronyms. " + FILLER * 2,
]
MARKDOWN = f"# Finance\n\n## Invoices\n\n{FILLER * 6}\n\n{FACTS[1]}\n\n{FILLER * 30}\n"


@pytest.fixture
def library(docs, make_archivist):
    make_pdf(docs / "handbook.pdf", PAGES, toc=[(1, "Introduction", 1), (1, "Refunds", 2)])
    write(docs / "finance.md", MARKDOWN)
    return synced(make_archivist, docs)


def show(qtbot, pane, citation: dict, signal: str = "rendered"):
    with qtbot.waitSignal(getattr(pane, signal), timeout=20_000):
        pane.show_citation(citation)


def as_citation(hit) -> dict:
    """What an answer's citation carries: the passage only as a flattened 300-character snippet."""
    snippet = " ".join(hit.text.split())[:300]
    return asdict(Citation(1, hit.path, hit.page, hit.heading, hit.start, hit.end, snippet, hit.score))


def covered(rect: pymupdf.Rect, highlights: list) -> float:
    """Share of ``rect`` under the highlights."""
    area = sum((rect & pymupdf.Rect(h)).get_area() for h in highlights)
    return area / rect.get_area()


def highlighted_words(page: pymupdf.Page, highlights: list) -> list[str]:
    return [w[4] for w in page.get_text("words") if covered(pymupdf.Rect(w[:4]), highlights) > 0.5]


def refund_hit(library):
    hit = library.search("How long is the refund window for Acme widgets?").hits[0]
    assert hit.page == 2 and FACTS[0] in " ".join(hit.text.split())
    return hit


@pytest.mark.parametrize("shape", ["hit", "citation"])
def test_pdf_citation_shows_its_page_with_the_passage_highlighted(qtbot, pane, library, docs, shape):
    hit = refund_hit(library)
    show(qtbot, pane, asdict(hit) if shape == "hit" else as_citation(hit))
    assert (pane.current_page, pane.page_count) == (2, 3)
    assert pane.note == "" and pane.message == ""
    rects = pane.highlight_rects
    assert rects

    page = pymupdf.open(docs / "handbook.pdf")[1]
    for phrase in ("refund window for Acme", "30 days from delivery"):
        for rect in page.search_for(phrase):
            assert covered(rect, rects) > 0.9, phrase
    # The highlight is the indexed passage, word for word, and nothing else on the page.
    marked = highlighted_words(page, rects)
    assert marked == hit.text.split()
    # Nothing from the other pages is marked (the passage is on page 2 only).
    for other in (1, 3):
        with qtbot.waitSignal(pane.rendered, timeout=10_000):
            pane.go_to_page(other)
        assert pane.current_page == other and pane.highlight_rects == []


def test_highlight_is_scrolled_into_view(qtbot, pane, docs, library):
    pane.resize(700, 300)  # shorter than the page: the passage is below the fold at first
    hit = refund_hit(library)
    show(qtbot, pane, asdict(hit))
    view = pane._page_view
    top = view.canvas.to_widget(pane.highlight_rects[0]).translated(view.canvas.pos()).top()
    shown = view.verticalScrollBar().value()
    assert shown <= top <= shown + view.viewport().height()


def test_paging_and_zoom(qtbot, pane, library):
    show(qtbot, pane, asdict(refund_hit(library)))
    fit = pane.zoom
    with qtbot.waitSignal(pane.rendered, timeout=10_000):
        pane._next.click()
    assert pane.current_page == 3 and pane.highlight_rects == []
    assert not pane._next.isEnabled()
    with qtbot.waitSignal(pane.rendered, timeout=10_000):
        pane._previous.click()
    assert pane.current_page == 2 and pane.highlight_rects  # back on the cited page
    with qtbot.waitSignal(pane.rendered, timeout=10_000):
        pane._zoom_in.click()
    assert pane.zoom == pytest.approx(fit * 1.25, rel=0.01)
    with qtbot.waitSignal(pane.rendered, timeout=10_000):
        pane._fit.click()
    assert pane.zoom == pytest.approx(fit, rel=0.01)
    with qtbot.waitSignal(pane.rendered, timeout=10_000):  # a wider pane re-renders to fit
        pane.resize(1000, 800)
    assert pane.zoom > fit * 1.2
    with qtbot.waitSignal(pane.rendered, timeout=10_000):
        pane._page_box.setValue(1)
    assert pane.current_page == 1


def test_pdf_passage_that_moved_to_another_page(qtbot, pane, docs, library):
    hit = refund_hit(library)
    make_pdf(docs / "handbook.pdf", [PAGES[0], "A page added later.", PAGES[1], PAGES[2]])
    show(qtbot, pane, asdict(hit))
    assert pane.current_page == 3
    assert "now on page 3" in pane.note
    page = pymupdf.open(docs / "handbook.pdf")[2]
    assert highlighted_words(page, pane.highlight_rects) == hit.text.split()


def test_pdf_passage_gone_says_so(qtbot, pane, docs, library):
    hit = refund_hit(library)
    make_pdf(docs / "handbook.pdf", [PAGES[0], "Nothing here any more.", PAGES[2]])
    show(qtbot, pane, asdict(hit))
    assert pane.current_page == 2 and pane.highlight_rects == []
    assert "no longer in the file" in pane.note


def test_pdf_offsets_are_those_of_the_parser(docs):
    """The highlighter maps offsets into the same page text the parser indexed."""
    from core.parsing import parse_file

    make_pdf(docs / "a.pdf", PAGES)
    parsed = parse_file(str(docs / "a.pdf"), ocr=False)
    page = pymupdf.open(docs / "a.pdf")[1]
    text = page.get_text("text", flags=PAGE_TEXT_FLAGS)
    section = next(s for s in parsed.sections if s.page == 2)
    assert text[section.start:section.start + len(section.text)] == section.text


def markdown_hit(library):
    hit = library.search("INV-2024-0042").hits[0]
    assert hit.path.endswith("finance.md") and FACTS[1] in hit.text
    return hit


@pytest.mark.parametrize("shape", ["hit", "citation"])
def test_markdown_citation_highlights_the_passage(qtbot, pane, library, shape):
    hit = markdown_hit(library)
    show(qtbot, pane, asdict(hit) if shape == "hit" else as_citation(hit))
    assert pane.highlighted_text == hit.text
    assert pane.current_page is None and pane.note == ""
    view = pane._text_view
    (selection,) = view.extraSelections()
    assert selection.cursor.selectedText().replace("\u2029", "\n") == hit.text
    # Centred: the passage is on screen although the file is much longer than the pane.
    rect = view.cursorRect()
    assert 0 <= rect.top() <= view.viewport().height()
    assert view.verticalScrollBar().maximum() > 0


def test_markdown_edited_above_the_passage_still_finds_it(qtbot, pane, docs, library):
    hit = markdown_hit(library)
    path = docs / "finance.md"
    write(path, "# Preface\n\nA new opening paragraph.\n\n" + MARKDOWN.replace("\n\n", "\n\n\n"))
    bump_mtime(path)
    show(qtbot, pane, asdict(hit))
    assert pane.highlighted_text.split() == hit.text.split()
    assert pane.note == ""


def test_markdown_passage_removed_says_so(qtbot, pane, docs, library):
    hit = markdown_hit(library)
    path = docs / "finance.md"
    write(path, MARKDOWN.replace(FACTS[1], "The invoices moved to the accounting system."))
    bump_mtime(path)
    show(qtbot, pane, asdict(hit))
    assert pane.highlighted_text == ""
    assert pane.note == "This passage is no longer in the file; it changed after indexing."
    assert not pane._note.isHidden()


def test_non_bmp_characters_before_the_passage(qtbot, pane, docs):
    """Qt counts UTF-16 units; the index counts characters."""
    text = "Emoji 😀😀😀 first.\n\n" + FACTS[2] + "\n"
    write(docs / "emoji.txt", text)
    start = text.index(FACTS[2])
    show(qtbot, pane, dict(path=str(docs / "emoji.txt"), page=None, heading="", start=start,
                           end=start + len(FACTS[2]), text=FACTS[2], score=0.0))
    (selection,) = pane._text_view.extraSelections()
    assert selection.cursor.selectedText() == FACTS[2]


@pytest.mark.parametrize("name", ["handbook.pdf", "finance.md"])
def test_deleted_file_is_a_message_not_a_dialog(qtbot, pane, docs, library, name):
    hit = library.search("refund window" if name.endswith("pdf") else "INV-2024-0042").hits[0]
    assert hit.path.endswith(name)
    (docs / name).unlink()
    show(qtbot, pane, asdict(hit), signal="failed")
    assert "no longer at" in pane.message and name in pane.message
    assert "Traceback" not in pane.message
    assert QApplication.activeModalWidget() is None
    assert pane._stack.currentWidget() is pane._message_label
    assert not pane._controls.isVisible()


def test_damaged_pdf_is_a_message(qtbot, pane, docs):
    bad = docs / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not really a pdf\n")
    show(qtbot, pane, dict(path=str(bad), page=1, heading="", start=0, end=10, snippet="x", score=0.0),
         signal="failed")
    assert "could not be opened" in pane.message


def test_show_citation_returns_at_once_and_the_latest_click_wins(qtbot, pane, library):
    pdf_hit, md_hit = refund_hit(library), markdown_hit(library)
    started = time.perf_counter()
    pane.show_citation(asdict(pdf_hit))
    pane.show_citation(asdict(md_hit))
    assert time.perf_counter() - started < 0.05
    qtbot.waitSignal(pane.rendered, timeout=20_000).wait()
    qtbot.wait(300)  # the PDF's late result must not replace the text
    assert pane.highlighted_text == md_hit.text and pane.current_page is None


def test_open_in_system_viewer(qtbot, pane, library, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url)))
    hit = markdown_hit(library)
    show(qtbot, pane, asdict(hit))
    pane._open.click()
    assert opened == [QUrl.fromLocalFile(hit.path)]


@pytest.mark.parametrize("kind", ["pdf", "markdown"])
def test_a_file_whose_name_is_not_utf8_is_shown_marked_and_opened(qtbot, pane, docs, tmp_path, make_archivist,
                                                                  monkeypatch, kind):
    if kind == "pdf":
        made = make_pdf(tmp_path / "scratch" / "made.pdf", PAGES)
        os.rename(made, os.path.join(os.fsencode(docs), b"caf\xe9.pdf"))
        query, name = "How long is the refund window for Acme widgets?", b"caf\xe9.pdf"
    else:
        write_named(docs, b"caf\xe9.md", MARKDOWN)
        query, name = "INV-2024-0042", b"caf\xe9.md"
    hit = synced(make_archivist, docs).search(query).hits[0]
    assert os.fsencode(hit.path) == os.path.join(os.fsencode(docs), name)
    show(qtbot, pane, asdict(hit))
    if kind == "pdf":
        assert pane.current_page == 2 and pane.highlight_rects
    else:
        assert pane.highlighted_text == hit.text
    assert pane.message == "" and pane._title.text() == name.decode("utf-8", "replace")
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url)))
    pane._open.click()
    assert [local_path(url) for url in opened] == [hit.path]  # the real file, not one named with other bytes
    assert opened[0].isLocalFile()


def test_controls_have_accessible_names_and_nothing_is_written(qtbot, pane, docs, library):
    before = snapshot_tree(docs)
    show(qtbot, pane, asdict(refund_hit(library)))
    show(qtbot, pane, asdict(markdown_hit(library)))
    for button in pane.findChildren(QAbstractButton):
        assert button.accessibleName(), button.text()
    for widget in (pane._page_box, pane._page_view, pane._text_view):
        assert widget.accessibleName()
    assert snapshot_tree(docs) == before


def test_a_very_long_text_is_shown_around_the_passage(qtbot, pane, docs):
    lines = [f"Line {i}: {FILLER[:60]}" for i in range(20_000)]
    lines.insert(15_000, FACTS[3])
    text = "\n".join(lines)
    write(docs / "huge.log", text)
    start = text.index(FACTS[3])
    show(qtbot, pane, dict(path=str(docs / "huge.log"), page=None, heading="", start=start,
                           end=start + len(FACTS[3]), text=FACTS[3], score=0.0))
    assert pane.highlighted_text == FACTS[3]
    assert "only the part around the passage" in pane.note
    assert pane._text_view.document().characterCount() < len(text) // 2


def test_text_zoom_changes_the_font(qtbot, pane, library):
    show(qtbot, pane, asdict(markdown_hit(library)))
    size = pane._text_view.font().pointSizeF()
    pane._zoom_in.click()
    assert pane._text_view.font().pointSizeF() > size


def test_closing_the_pane_while_a_page_renders_is_harmless(qtbot, library):
    from desktop.preview_jobs import pdf_pool

    widget = PreviewPane()
    widget.show()
    widget.show_citation(asdict(refund_hit(library)))
    widget.deleteLater()
    qtbot.wait(10)
    assert pdf_pool().waitForDone(20_000)
    qtbot.wait(50)  # the late result is delivered nowhere, without an error
