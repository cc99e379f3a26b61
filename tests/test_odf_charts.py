"""A chart in an ODP slide or an ODT document is read as its data, as one in a PPTX or DOCX is: its
title, then a row per category with each series' value in the series' number format, in its place
on the slide or after its paragraph; found and cited there by search (real model and LanceDB).
Fixtures as LibreOffice writes them (tests/fixtures/odf_charts.py)."""

from __future__ import annotations

import zipfile

from core.parsing import parse_file
from core.parsing.odf_chart import embedded_chart_text
from helpers import synced
from tests.fixtures.odf_charts import chart_odp, chart_odt

ROWS = """Harbourside depot, revenue and costs
Quarter: Q1 2024 · Revenue: 120.00 · Costs: 98
Quarter: Q2 2024 · Revenue: 135.50 · Costs: 101
Quarter: Q3 2024 · Revenue: 1,250.50 · Costs: 97.25
Quarter: Q4 2024 · Revenue: 171.00"""


def test_a_chart_object_gives_its_title_and_a_row_per_category_in_its_series_formats(tmp_path):
    with zipfile.ZipFile(chart_odp(tmp_path / "depot.odp")) as zf:
        assert embedded_chart_text(zf, "Object 1") == ROWS
        assert embedded_chart_text(zf, "Object 9") == ""  # not in the package: nothing, no error


def test_a_chart_on_a_slide_is_read_in_its_place_and_its_stand_in_picture_is_not(tmp_path):
    doc = parse_file(str(chart_odp(tmp_path / "depot.odp")), ocr=True)
    first = doc.sections[0].text
    assert first == f"Where the money went\n\n{ROWS}\n\nFigures from the depot's ledger."
    assert doc.sections[1].text == "Next year"
    assert (doc.ocr_pictures, doc.needs_ocr_pictures) == (0, 0)


def test_a_chart_in_a_text_document_is_read_after_its_paragraph(tmp_path):
    text = "\n\n".join(s.text for s in parse_file(str(chart_odt(tmp_path / "report.odt"))).sections)
    assert text == f"The depot's year in one chart:\n\n{ROWS}\n\nCosts fell in the second half."


def test_a_value_shown_only_in_a_chart_is_found_on_its_slide(docs, make_archivist):
    deck = chart_odp(docs / "depot.odp")
    hit = synced(make_archivist, docs).search("Q3 2024 revenue 1,250.50").hits[0]
    assert (hit.path, hit.page) == (str(deck), 1) and "1,250.50" in hit.text
