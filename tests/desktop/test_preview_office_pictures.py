"""A passage read off a picture inside a DOCX or on a slide is found and marked in the preview, which
shows the text the indexer read: the pictures' OCR text comes from the cache it filled, and OCR is
not run again. Real index, real files (tests/fixtures/picture_files.py)."""

from __future__ import annotations

import os
from dataclasses import asdict

import pytest
from PySide6.QtWidgets import QApplication

from core.parsing.ocr.options import from_settings
from core.parsing.pictures import PICTURE_LABEL
from desktop.preview import PreviewPane
from helpers import synced
from tests.fixtures import picture_files as pf

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
SHOTS = os.environ.get("ARCHIVIST_SCREENSHOTS")  # a folder to save what the preview shows


@pytest.fixture
def library(docs, make_archivist, monkeypatch):
    pf.report_docx(docs / "report.docx")
    pf.deck_pptx(docs / "deck.pptx")
    archivist = synced(make_archivist, docs)

    def no_engine(*setting):
        raise AssertionError("the preview ran OCR on a picture the indexer had read")

    monkeypatch.setattr("core.parsing.ocr.run.choose", no_engine)  # the indexer's workers are done
    return archivist


def shown(qtbot, archivist, citation: dict, name: str) -> PreviewPane:
    pane = PreviewPane(ocr=from_settings(archivist.settings))
    qtbot.addWidget(pane)
    pane.resize(700, 600)
    pane.show()
    with qtbot.waitSignal(pane.rendered, timeout=30_000):
        pane.show_citation(citation)
    if SHOTS:
        QApplication.processEvents()  # the layout settles as it would on screen
        pane.grab().save(os.path.join(SHOTS, name))
    return pane


def sentence_of(hit, sentence: str) -> dict:
    """The citation of ``hit`` resting on one sentence of it (as an answer's check marks it)."""
    start = hit.start + hit.text.index(sentence)
    return dict(asdict(hit), sentences=[{"start": start, "end": start + len(sentence), "text": sentence}])


def test_a_sentence_read_off_a_docx_picture_is_marked_in_the_documents_text(qtbot, library, docs):
    hit = library.search("What is the locker code of the archive room?").hits[0]
    assert (hit.path, hit.heading) == (str(docs / "report.docx"), "Access")
    pane = shown(qtbot, library, sentence_of(hit, pf.FACTS["docx"]), "docx-picture.png")
    assert pane._stack.currentWidget() is pane._text_view
    assert (pane.highlighted_text, pane.note) == (pf.FACTS["docx"], "")
    text = pane._text_view.toPlainText()  # shown where it is read: after its paragraph, marked
    assert text.index("photographed below.") < text.index(PICTURE_LABEL) < text.index(pf.FACTS["docx"])


def test_a_passage_read_off_a_slide_picture_is_marked_on_the_slide(qtbot, library, docs):
    hit = library.search("When does shipment 88 leave Rotterdam?").hits[0]
    assert (hit.path, hit.page) == (str(docs / "deck.pptx"), 2)
    pane = shown(qtbot, library, asdict(hit), "slide-picture.png")
    assert pane._stack.currentWidget() is pane._slide_view
    assert (pane.current_page, pane.note, pane.highlighted_text) == (2, "", hit.text)
    marked = " ".join(s.cursor.selectedText() for s in pane._slide_view.extraSelections())
    assert pf.FACTS["slides"] in " ".join(marked.split())
