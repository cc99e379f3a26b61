"""A cited passage of a spreadsheet opens the sheet's rows in a table: the header row as column
headers, the spreadsheet's row numbers, the cited rows highlighted and scrolled into view."""

from __future__ import annotations

from dataclasses import asdict

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel

from core.answer.citations import Citation
from core.parsing import parse_file
from desktop.preview import PreviewPane
from desktop.preview_locate import CHANGED
from desktop.preview_sheet import HIGHLIGHT, SheetView
from helpers import synced
from tests.fixtures import sheet_files as sf

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def pane(qtbot):
    widget = PreviewPane()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def show(qtbot, pane, citation: dict, signal: str = "rendered") -> SheetView:
    with qtbot.waitSignal(getattr(pane, signal), timeout=20_000):
        pane.show_citation(citation)
    return pane.findChild(SheetView)


def known_citation(path, **changes) -> dict:
    """What the index stores for the passage holding the known invoice (a Hit's fields)."""
    doc = parse_file(str(path))
    section = next(s for s in doc.sections if sf.KNOWN_LINE in s.text)
    citation = {"path": str(path), "kind": "sheet", "page": section.page, "heading": " > ".join(section.heading),
                "start": section.start, "end": section.start + len(section.text), "text": section.text}
    return citation | changes


def cited_row_visible(view: SheetView) -> bool:
    index = view.model().index(view.result.cited[0], 0)
    return view.viewport().rect().intersects(view.visualRect(index))


def test_the_cited_rows_are_highlighted_under_the_sheet_header(qtbot, pane, tmp_path):
    path = sf.invoices_xlsx(tmp_path / "invoices.xlsx")
    citation = known_citation(path)
    view = show(qtbot, pane, citation)
    model = view.model()
    assert pane.message == "" and pane.note == ""
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == sf.INVOICE_HEADER
    first, last = (int(n) for n in citation["heading"].split("rows ")[1].split("–"))
    assert view.result.cited_rows == list(range(first, last + 1))
    assert sf.KNOWN_ROW_NUMBER in view.result.cited_rows
    known = view.result.body.index(next(r for r in view.result.body if r[0] == sf.KNOWN_ROW_NUMBER))
    assert model.headerData(known, Qt.Orientation.Vertical) == str(sf.KNOWN_ROW_NUMBER)
    assert [model.index(known, c).data() for c in range(6)] == [
        "2024-117", "Globex Corporation", "5", "250.00", "1,250.00", "30 June"]
    assert model.index(known, 0).data(Qt.ItemDataRole.BackgroundRole) == HIGHLIGHT
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert model.index(0, 0).data() == "Invoices issued in 2024"  # the title row; the header is above
    where = next(label for label in pane.findChildren(QLabel) if label.accessibleName() == "Page and heading")
    assert where.text() == f"Sheet 2 · {citation['heading']}"
    assert view.accessibleName() and all(b.accessibleName() for b in pane.findChildren(QAbstractButton))


def test_only_the_sentences_an_answer_rests_on_are_marked(qtbot, pane, tmp_path):
    path = sf.invoices_xlsx(tmp_path / "invoices.xlsx")
    citation = known_citation(path)
    at = citation["text"].index(sf.KNOWN_LINE) + citation["start"]
    citation["sentences"] = [{"start": at, "end": at + len(sf.KNOWN_LINE), "text": sf.KNOWN_LINE}]
    assert show(qtbot, pane, citation).result.cited_rows == [sf.KNOWN_ROW_NUMBER]


def test_rows_inserted_above_after_indexing_still_find_the_passage(qtbot, pane, tmp_path):
    path = sf.invoices_xlsx(tmp_path / "invoices.xlsx")
    citation = known_citation(path)
    wb = openpyxl.load_workbook(path, data_only=True)  # formulas' results become plain values
    wb["Invoices"].insert_rows(2, amount=3)
    wb.save(path)
    view = show(qtbot, pane, citation)
    assert sf.KNOWN_ROW_NUMBER + 3 in view.result.cited_rows and pane.note == ""


def test_a_passage_no_longer_in_the_sheet_says_so(qtbot, pane, tmp_path):
    path = sf.invoices_xlsx(tmp_path / "invoices.xlsx")
    citation = known_citation(path, text="Invoice: 1999-001 · Customer: Nobody", start=10**6, end=10**6 + 30)
    view = show(qtbot, pane, citation)
    assert view.result.cited == [] and pane.note == CHANGED


def test_a_long_sheet_shows_the_rows_around_the_passage(qtbot, pane, tmp_path):
    path = sf.big_xlsx(tmp_path / "ledger.xlsx", 6000)
    doc = parse_file(str(path))
    section = next(s for s in doc.sections if "E004000 " in s.text + " ")
    citation = {"path": str(path), "kind": "sheet", "page": 1, "heading": " > ".join(section.heading),
                "start": section.start, "end": section.start + len(section.text), "text": section.text}
    view = show(qtbot, pane, citation)
    assert 4001 in view.result.cited_rows and cited_row_visible(view)
    assert "only rows" in pane.note and len(view.result.body) <= 1000


def test_an_old_citation_without_a_kind_opens_as_a_sheet(qtbot, pane, tmp_path):
    path = sf.cp1252_semicolon_csv(tmp_path / "kunden.csv")
    section = parse_file(str(path)).sections[0]
    citation = asdict(Citation(1, str(path), 1, "kunden > rows 1–3", section.start,
                               section.start + len(section.text), " ".join(section.text.split())[:300], 1.0))
    citation.pop("kind")
    view = show(qtbot, pane, citation)
    assert view.result.cited_rows == [2, 3] and view.model().headerData(1, Qt.Orientation.Horizontal) == "Straße"


def test_a_deleted_workbook_is_a_message(qtbot, pane, tmp_path):
    path = sf.invoices_xlsx(tmp_path / "invoices.xlsx")
    citation = known_citation(path)
    path.unlink()
    show(qtbot, pane, citation, signal="failed")
    assert "no longer at" in pane.message


@pytest.mark.slow
def test_a_searched_row_opens_on_its_sheet(qtbot, pane, docs, make_archivist):
    sf.invoices_xlsx(docs / "invoices.xlsx")
    hit = synced(make_archivist, docs).search("Globex Corporation invoice 2024-117").hits[0]
    view = show(qtbot, pane, asdict(hit))
    assert sf.KNOWN_ROW_NUMBER in view.result.cited_rows and cited_row_visible(view)

