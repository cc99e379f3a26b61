"""SmartArt's text: a diagram's nodes in the diagram's own order, each under its parent.

A SmartArt graphic (a process, a cycle, an org chart) keeps its words in a data part beside the
slide or document (dgm:dataModel): points, some holding text, and connections saying which point is
whose child and in what order. The drawing PowerPoint caches beside it is laid out for the eye and
may be missing or stale, so the data part is what is read. python-pptx and python-docx do not read
either: without this a deck's process diagram was lost to search.
"""

from __future__ import annotations

from lxml import etree

DIAGRAM_URI = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
_DGM = f"{{{DIAGRAM_URI}}}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
RELIDS = f"{_DGM}relIds"
DATA_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}dm"
_TEXT_KINDS = ("node", "asst")  # a point without a type is a node; "asst": an org chart's assistant
MAX_NODES = 2000


def diagram_text(blob: bytes) -> str:
    """Each text node on a line of its own, in the diagram's order; a child indented under its
    parent as a list item ("  - Budget agreed")."""
    root = etree.fromstring(blob, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    points = root.find(f"{_DGM}ptLst")
    if points is None:
        return ""
    texts, kinds, order = {}, {}, []
    for point in points.iterchildren(f"{_DGM}pt"):
        model_id = point.get("modelId")
        kinds[model_id] = point.get("type") or "node"
        if kinds[model_id] in _TEXT_KINDS:
            order.append(model_id)
            texts[model_id] = _point_text(point)
    children: dict[str, list[tuple[int, str]]] = {}
    for cxn in root.iterfind(f"{_DGM}cxnLst/{_DGM}cxn"):
        if (cxn.get("type") or "parOf") == "parOf":
            children.setdefault(cxn.get("srcId"), []).append((int(cxn.get("srcOrd") or 0), cxn.get("destId")))
    lines: list[str] = []
    placed: set[str] = set()

    def walk(model_id: str, depth: int) -> None:
        for _ordinal, child in sorted(children.get(model_id, ())):
            if child in placed or len(placed) >= MAX_NODES:
                continue
            placed.add(child)
            text = texts.get(child, "")
            if text:
                lines.append(("  " * (depth - 1) + "- " if depth else "") + text)
            walk(child, depth + 1 if kinds.get(child) in _TEXT_KINDS else depth)

    for top in [m for m, kind in kinds.items() if kind == "doc"]:
        placed.add(top)
        walk(top, 0)
    # Points no connection reaches (a damaged or hand-made file) keep their place in the list.
    lines += [texts[m] for m in order if m not in placed and texts[m]][:MAX_NODES]
    return "\n".join(lines)


def _point_text(point) -> str:
    body = point.find(f"{_DGM}t")
    if body is None:
        return ""
    paragraphs = ("".join(run.text or "" for run in p.iter(f"{_A}t")) for p in body.iterfind(f"{_A}p"))
    return " ".join(" ".join(p.split()) for p in paragraphs if p.strip())
