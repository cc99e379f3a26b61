"""The preview highlights a passage cited from a scanned page or a photo with the OCR boxes of its words.

The scans are rendered from known text, so where each word really is on the page is known: the
text page before it became a picture (a scanned page keeps the paper's size in points).
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict
from pathlib import Path

import pymupdf
import pytest
from PySide6.QtWidgets import QLabel, QSpinBox

from core.parsing.ocr.options import from_settings
from desktop.preview import PreviewPane

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scans import mixed_pdf, save_image, scan, text_page  # noqa: E402

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

CARD = (420, 298)
TYPED = "The first page is typed. It lists the opening hours of the Lisbon warehouse and nothing else."
SCANNED = ("The harbour master retires in May. His successor, Ana Pereira, starts on the first of June. "
           "The new container terminal opens in 2027 and cost forty million euros.")
PHOTO = "Receipt 2024-117 from the Porto bakery. Two loaves of rye bread cost nine euros in total."
SHOTS = os.environ.get("ARCHIVIST_SCREENSHOTS")  # a folder to save what the preview shows


def word_boxes(text: str, scale: float = 1.0) -> list[tuple[str, pymupdf.Rect]]:
    """Where each word of ``text`` is on its page (in points × ``scale``), before it was scanned."""
    with pymupdf.open() as doc:
        return [(w[4], pymupdf.Rect(w[:4]) * scale) for w in text_page(doc, text, size=CARD).get_text("words")]


def covered(rect: pymupdf.Rect, highlights: list) -> float:
    return sum((rect & pymupdf.Rect(h)).get_area() for h in highlights) / rect.get_area()


def marked_words(words, highlights) -> list[str]:
    return [w for w, rect in words if covered(rect, highlights) > 0.5]


@pytest.fixture
def scanned_library(docs, make_archivist):
    mixed_pdf(docs / "letter.pdf", [TYPED, scan(SCANNED, dpi=150, size=CARD)], dpi=150)
    save_image(scan(PHOTO, dpi=200, size=CARD, noise=8), docs / "receipt.jpg", quality=85)
    archivist = make_archivist()
    archivist.add_source(docs)
    assert archivist.sync().failed == 0
    return archivist


def show(qtbot, pane, citation: dict):
    with qtbot.waitSignal(pane.rendered, timeout=60_000):
        pane.show_citation(citation)


def shot(pane, name: str) -> None:
    if SHOTS:
        pane.grab().save(os.path.join(SHOTS, name))


def test_a_sentence_cited_on_a_scanned_page_is_marked_word_for_word(qtbot, scanned_library, docs):
    hit = scanned_library.search("Who succeeds the harbour master?").hits[0]
    assert (hit.path, hit.page) == (str(docs / "letter.pdf"), 2)
    sentence = "His successor, Ana Pereira, starts on the first of June."
    flat = " ".join(hit.text.split())
    assert sentence in flat
    # The answer rests on one sentence: its offsets in the page's OCR text, as the index has them.
    start = hit.start + hit.text.index("His successor")
    end = hit.start + hit.text.index("June.") + len("June.")
    citation = dict(asdict(hit), sentences=[{"start": start, "end": end, "text": sentence}])
    pane = PreviewPane(ocr=from_settings(scanned_library.settings))
    qtbot.addWidget(pane)
    pane.resize(700, 600)
    pane.show()
    show(qtbot, pane, citation)
    shot(pane, "scanned-page.png")

    assert (pane.current_page, pane.page_count) == (2, 2) and pane.note == ""
    assert marked_words(word_boxes(SCANNED), pane.highlight_rects) == sentence.split()


def test_a_passage_in_a_photo_is_marked_on_the_photo(qtbot, scanned_library, docs):
    hit = scanned_library.search("How much did the rye bread cost at the bakery?").hits[0]
    assert (hit.path, hit.page, hit.kind) == (str(docs / "receipt.jpg"), None, "image")
    pane = PreviewPane(ocr=from_settings(scanned_library.settings))
    qtbot.addWidget(pane)
    pane.resize(700, 600)
    pane.show()
    show(qtbot, pane, asdict(hit))
    shot(pane, "photo.png")

    assert pane.current_page == 1 and pane.page_count == 1 and pane.note == ""
    labels = {label.accessibleName(): label for label in pane.findChildren(QLabel)}
    page_box = next(box for box in pane.findChildren(QSpinBox) if box.accessibleName() == "Page number")
    assert labels["Page and heading"].text() == "" and page_box.isHidden()  # no "Page 1 of 1" on a photo
    assert labels["Zoom level"].isVisible()
    # The photo is shown a point per pixel: a word's place is its place on the paper × 200/72.
    assert marked_words(word_boxes(PHOTO, 200 / 72), pane.highlight_rects) == PHOTO.split()


def test_the_preview_reads_no_page_the_indexer_read(qtbot, scanned_library, docs, monkeypatch):
    """The OCR text comes from the cache the indexer filled, looked up by the same pixels."""
    from core.parsing.ocr import engine as engines

    def no_engine(*setting):
        raise AssertionError("the preview ran OCR on a page the indexer had read")

    monkeypatch.setattr(engines, "choose", no_engine)
    monkeypatch.setattr("core.parsing.ocr.run.choose", no_engine)
    hit = scanned_library.search("When does the container terminal open?").hits[0]
    assert hit.page == 2
    pane = PreviewPane(ocr=from_settings(scanned_library.settings))
    qtbot.addWidget(pane)
    pane.show()
    show(qtbot, pane, asdict(hit))
    assert pane.highlight_rects and pane.note == ""
