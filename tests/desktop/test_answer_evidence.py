"""Under an answer, the sentences it rests on word for word; in it, the claims no source contains;
and a click on a source highlights exactly those sentences, not the whole passage."""

from __future__ import annotations

from dataclasses import asdict

import pymupdf
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication

from core.answer.citations import resolve
from core.answer.prompt import NumberedSource
from core.answer.support import ground
from desktop.chat_sources import SourceCard
from desktop.claim_marks import is_marked
from helpers import FACTS, FILLER, add_folder_and_ask, make_pdf, synced, write
from ollama_env import MODEL

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

PAGES = ["Chapter one. " + FILLER * 3, FILLER * 4 + FACTS[0] + " " + FILLER]
MARKDOWN = f"# Finance\n\n## Invoices\n\n{FILLER * 2}\n\n{FACTS[1]} Payment is due in 14 days.\n\n{FILLER * 4}\n"


@pytest.fixture
def library(docs, make_archivist):
    make_pdf(docs / "handbook.pdf", PAGES, toc=[(1, "Refunds", 2)])
    write(docs / "finance.md", MARKDOWN)
    return synced(make_archivist, docs)


def grounded(library, question, answer):
    """The citations and check the pipeline would store for ``answer`` to ``question``."""
    sources = [NumberedSource(n, hit) for n, hit in enumerate(library.search(question, k=4).hits, 1)]
    citations, _ = resolve(answer, sources)
    citations, check = ground(answer, sources, citations, question)
    return [asdict(c) for c in citations], check.as_dict()


def marked_text(document) -> list[str]:
    marked, block = [], document.begin()
    while block.isValid():
        marked += [block.text()[f.start:f.start + f.length] for f in block.textFormats() if is_marked(f.format)]
        block = block.next()
    return marked


def test_a_flagged_claim_is_marked_and_the_evidence_sentence_shown(qtbot, view, library):
    answer = "The refund window for Acme widgets is 45 days from delivery [1]."
    citations, check = grounded(library, "How long is the refund window for Acme widgets?", answer)
    widget = view.add_answer("m1", answer, citations, "complete", "ollama", "m", check)
    assert marked_text(widget.body.document()) == ["45 days"]
    assert widget.unsupported_label.isVisibleTo(widget) and "45 days" in widget.unsupported_label.text()
    [card] = widget.sources.cards
    assert [q.text() for q in card.quotes] == [f"“{FACTS[0]}”"]  # word for word, the PDF's line breaks as spaces
    assert " match (meaning " in card.details.text() and "score" not in card.details.text()
    qtbot.mouseClick(widget.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert f"“{FACTS[0]}”" in copied and "Not in your sources: 45 days" in copied


def test_a_correct_answer_has_no_marks(view, library):
    answer = "The refund window for Acme widgets is 30 days from delivery [1]."
    citations, check = grounded(library, "How long is the refund window for Acme widgets?", answer)
    widget = view.add_answer("m1", answer, citations, "complete", "ollama", "m", check)
    assert marked_text(widget.body.document()) == [] and not widget.unsupported_label.isVisibleTo(widget)


def test_an_answer_stored_before_checks_still_renders(view):
    old = {"n": 1, "path": "/docs/report.pdf", "page": 3, "heading": "", "start": 0, "end": 40,
           "snippet": "Passage from the report.", "score": 0.03, "inferred": False}
    widget = view.add_answer("m1", "Seals wear out in 45 days [1].", [old], "complete", "ollama", "m")
    [card] = widget.sources.cards
    assert card.quotes == [] and card.snippet.text() == "Passage from the report."
    assert card.details.text() == "p. 3" and marked_text(widget.body.document()) == []


def test_clicking_the_source_highlights_the_cited_sentence_on_its_page(qtbot, view, pane, library, docs):
    answer = "The refund window for Acme widgets is 30 days from delivery [1]."
    citations, check = grounded(library, "How long is the refund window for Acme widgets?", answer)
    widget = view.add_answer("m1", answer, citations, "complete", "ollama", "m", check)
    view.citation_clicked.connect(pane.show_citation)
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        qtbot.mouseClick(widget.sources.cards[0], Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert pane.current_page == 2
    page = pymupdf.open(docs / "handbook.pdf")[1]
    marked = [w[4] for w in page.get_text("words")
              if any((pymupdf.Rect(w[:4]) & r).get_area() > 0.5 * pymupdf.Rect(w[:4]).get_area()
                     for r in pane.highlight_rects)]
    assert marked == FACTS[0].split()  # the sentence, not the filler around it in the same passage


def test_clicking_a_text_source_highlights_only_its_sentence(qtbot, view, pane, library):
    answer = "Invoice INV-2024-0042 was issued to Globex Corporation [1]."
    citations, check = grounded(library, "Who was invoice INV-2024-0042 issued to?", answer)
    assert check["claims_flagged"] == 0
    widget = view.add_answer("m1", answer, citations, "complete", "ollama", "m", check)
    view.citation_clicked.connect(pane.show_citation)
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        qtbot.mouseClick(widget.sources.cards[0], Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert pane.highlighted_text == FACTS[1]


def test_the_window_shows_evidence_and_highlights_it(window, qtbot, docs):
    """End to end with a real model through the Ollama API stand-in."""
    make_pdf(docs / "handbook.pdf", PAGES)
    write(docs / "finance.md", MARKDOWN)
    result = add_folder_and_ask(window, qtbot, docs, "How long is the refund window for Acme widgets?", MODEL)
    assert result["trace"]["claims_checked"] >= 1
    answer = window.chat.answer_widget(result["message_id"])
    card = next(c for c in answer.findChildren(SourceCard) if c.citation.get("page") == 2)
    assert f"“{FACTS[0]}”" in [q.text() for q in card.quotes]
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.waitUntil(lambda: window.preview is not None and bool(window.preview.highlight_rects), timeout=30_000)
    page = pymupdf.open(docs / "handbook.pdf")[1]
    fact = pymupdf.Rect()
    for rect in page.search_for("The refund window for Acme"):
        fact |= rect
    assert any(r.intersects(fact) for r in window.preview.highlight_rects)
    filler = page.search_for("This paragraph is ordinary filler")[0]  # first filler sentence: not cited
    assert not any(r.intersects(filler) for r in window.preview.highlight_rects)


def test_the_evidence_card_comes_before_the_first_word_and_opens_its_sentence(window, qtbot, docs):
    """The best sentences for the question, found without the model, show while the answer is written;
    a click highlights that sentence on its page; the finished answer's sources then take over."""
    from desktop.evidence_card import EvidenceCard

    make_pdf(docs / "handbook.pdf", PAGES, toc=[(1, "Refunds", 2)])
    write(docs / "finance.md", MARKDOWN)
    order, seen = [], {}

    def on_evidence(card):
        order.append("evidence")
        stream = window._stream
        seen["card"] = stream.widget.evidence if stream else None
    window.answers.evidence_found.connect(on_evidence)
    window.answers.token.connect(lambda _: order.append("token"))
    result = add_folder_and_ask(window, qtbot, docs, "How long is the refund window for Acme widgets?", MODEL)
    assert order and order[0] == "evidence" and "token" in order
    card = seen["card"]
    assert isinstance(card, EvidenceCard) and card.quotes
    first = card.quotes[0]
    assert FACTS[0] in " ".join(first.citation["text"].split()) and first.citation["page"] == 2
    assert "handbook.pdf, p. 2" in first.text()
    assert result["status"] == "complete"
    answer = window.chat.answer_widget(result["message_id"])
    assert answer.evidence is None  # replaced by the answer's own sources
    first.clicked.emit(first.citation)
    qtbot.waitUntil(lambda: window.preview is not None and window.preview.current_page == 2, timeout=30_000)
    qtbot.waitUntil(lambda: bool(window.preview.highlight_rects), timeout=30_000)
    assert len(window.preview.highlight_rects) <= 2  # one sentence (perhaps over two lines), not the passage


def test_a_source_with_a_twin_names_the_other_file(view, docs, make_archivist):
    """A Markdown note and its HTML page fold into one source (core/twins.py); its card names both."""
    text = ("The pump house was rebuilt in 2019 after the flood, with the floor raised half a metre. "
            "Each pump is inspected by the duty engineer at the start of every shift.")
    write(docs / "guide.md", f"# Pump house guide\n\n{text}\n")
    write(docs / "site/guide.html", f"<html><body><h1>Pump house guide</h1><p>{text}</p></body></html>")
    library = synced(make_archivist, docs)
    answer = "The duty engineer inspects each pump at the start of every shift [1]."
    citations, check = grounded(library, "Who inspects the pumps, and when?", answer)
    widget = view.add_answer("m1", answer, citations, "complete", "ollama", "m", check)
    [card] = widget.sources.cards
    other = "guide.html" if card.citation["path"].endswith("guide.md") else "guide.md"
    assert f"also in {other}" in card.details.text()
