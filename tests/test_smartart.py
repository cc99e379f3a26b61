"""SmartArt (a process, a cycle, an org chart) is read as its nodes' text in the diagram's order,
each step under its phase, on its slide or after its paragraph in a Word document, so a value shown
only inside a diagram is found and cited there. Files carry SmartArt as PowerPoint and Word write it
(tests/fixtures/smartart_files.py); the search runs on the real model and LanceDB."""

from __future__ import annotations

from core.parsing import parse_file
from core.parsing.diagram_text import diagram_text
from helpers import synced
from tests.fixtures.smartart_files import PHASES, data_model, smartart_deck, smartart_docx

OUTLINE = """Survey the site
- Soil samples by 12 May
- Drainage report from Okafor Engineering
Design
- Greenhouse frame of recycled aluminium
- Budget capped at 48,500 euros
Build
- Foundations poured in week 31"""


def test_the_nodes_are_read_in_the_diagrams_order_each_under_its_parent():
    # The point list is shuffled: the order comes from the connections, transitions and
    # presentation points are left out.
    assert diagram_text(data_model(PHASES)) == OUTLINE
    assert diagram_text(data_model([("Only", [])])) == "Only"


def test_a_diagram_without_connections_keeps_its_nodes_in_list_order():
    blob = (b'<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
            b'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><dgm:ptLst>'
            b'<dgm:pt modelId="1"><dgm:t><a:p><a:r><a:t>First</a:t></a:r></a:p></dgm:t></dgm:pt>'
            b'<dgm:pt modelId="2" type="sibTrans"><dgm:t><a:p><a:r><a:t>not text</a:t></a:r></a:p></dgm:t></dgm:pt>'
            b'<dgm:pt modelId="3"><dgm:t><a:p><a:r><a:t>Sec</a:t></a:r><a:r><a:t>ond</a:t></a:r></a:p></dgm:t></dgm:pt>'
            b'</dgm:ptLst></dgm:dataModel>')
    assert diagram_text(blob) == "First\nSecond"


def test_smartart_on_a_slide_is_read_after_the_slides_title(tmp_path):
    doc = parse_file(str(smartart_deck(tmp_path / "plan.pptx")))
    first, second = doc.sections[0].text, doc.sections[1].text
    assert first.startswith("Greenhouse project plan") and OUTLINE in first
    assert "Late frost" in second and "Okafor" not in second


def test_smartart_in_a_word_document_is_read_after_its_paragraph(tmp_path):
    text = "\n\n".join(s.text for s in parse_file(str(smartart_docx(tmp_path / "plan.docx"))).sections)
    at = text.index(OUTLINE)
    assert text.index("The plan at a glance:") < at < text.index("Questions go to the site office.")


def test_a_value_shown_only_in_a_diagram_is_found_on_its_slide(docs, make_archivist):
    deck = smartart_deck(docs / "plan.pptx")
    smartart_docx(docs / "brief.docx")
    archivist = synced(make_archivist, docs)
    hits = archivist.search("What is the greenhouse budget capped at?").hits
    assert {(h.path, h.page) for h in hits[:2]} >= {(str(deck), 1)}
    top = next(h for h in hits if h.path == str(deck))
    assert top.page == 1 and "48,500 euros" in top.text
