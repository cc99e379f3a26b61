"""A chart on a slide or in a Word document is read as its data: title, then a row per category with each series' value
in the series' number format, so a figure shown only as a bar is found and cited on its slide.
Decks are made with python-pptx's own chart writer; the search runs on the real model and LanceDB."""

from __future__ import annotations

from pptx import Presentation
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

from core.parsing import parse_file
from helpers import synced


def chart_deck(path, number_format=None):
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Where the money went"
    data = CategoryChartData(number_format=number_format) if number_format else CategoryChartData()
    data.categories = ["Q1 2024", "Q2 2024", "Q3 2024", "Q4 2024"]
    data.add_series("Revenue", (120, 135.5, 1250.5, 171))
    data.add_series("Costs", (98, 101, 97.25, None))
    frame = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(1.5), Inches(8), Inches(5), data)
    frame.chart.has_title = True
    frame.chart.chart_title.text_frame.text = "Harbourside depot, revenue and costs"
    scatter = deck.slides.add_slide(deck.slide_layouts[6])
    points = XyChartData()
    series = points.add_series("Pump pressure")
    for x, y in ((1, 2.5), (2, 3.75)):
        series.add_data_point(x, y)
    scatter.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER, Inches(1), Inches(1), Inches(6), Inches(4), points)
    deck.save(path)
    return path


def test_a_chart_is_read_as_its_title_and_a_row_per_category(tmp_path):
    doc = parse_file(str(chart_deck(tmp_path / "depot.pptx", '#,##0.00')))
    first, second = doc.sections[0].text, doc.sections[1].text
    assert "Harbourside depot, revenue and costs" in first
    assert "Category: Q3 2024 · Revenue: 1,250.50 · Costs: 97.25" in first  # the series' own format
    assert "Category: Q4 2024 · Revenue: 171.00" in first and "Costs: ·" not in first  # an empty point is left out
    assert "Point: 2 · Pump pressure: 3.75" in second  # a scatter chart's points, numbered


def test_a_value_shown_only_in_a_chart_is_found_on_its_slide(docs, make_archivist):
    chart_deck(docs / "depot.pptx")
    archivist = synced(make_archivist, docs)
    hits = archivist.search("Harbourside revenue in Q3 2024", k=3).hits
    assert hits and hits[0].path.endswith("depot.pptx") and hits[0].page == 1
    assert "1250.5" in hits[0].text


def chart_docx(path):
    """A Word document with a chart: the chart part python-pptx writes, placed in the body as Word
    places one (an inline drawing whose graphic data names the chart part)."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    deck_path = chart_deck(path.with_suffix(".pptx"))
    chart_blob = next(p.blob for p in Presentation(deck_path).part.package.iter_parts()
                      if str(p.partname).startswith("/ppt/charts/chart"))
    document = docx.Document()
    document.add_paragraph("The depot's year in one chart:")
    part = Part(PackURI("/word/charts/chart1.xml"),
                "application/vnd.openxmlformats-officedocument.drawingml.chart+xml", chart_blob, document.part.package)
    rid = document.part.relate_to(part, RT.CHART)
    run = document.add_paragraph().add_run()
    run._r.append(parse_xml(
        '<w:drawing xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<wp:inline><wp:extent cx="5486400" cy="3200400"/><wp:docPr id="1" name="Chart 1"/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart r:id="{rid}"/></a:graphicData></a:graphic></wp:inline></w:drawing>'))
    document.add_paragraph("Costs fell in the second half.")
    document.save(path)
    return path


def test_a_chart_in_a_word_document_is_read_after_its_paragraph(tmp_path):
    text = "\n\n".join(s.text for s in parse_file(str(chart_docx(tmp_path / "report.docx"))).sections)
    chart = text.index("Harbourside depot, revenue and costs")
    assert text.index("The depot's year in one chart:") < chart < text.index("Costs fell in the second half.")
    assert "Category: Q3 2024 · Revenue: 1250.5 · Costs: 97.25" in text
