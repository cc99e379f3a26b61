"""Typeset PDFs write ligature glyphs ("ﬁnal oﬃce"); the index reads them as the letters they are,
so full-text search and the embedding model see words, and the preview still finds older passages."""

import pymupdf

from desktop.preview_locate import locate_in_text


def test_ligatures_are_indexed_as_letters(docs, make_archivist):
    doc = pymupdf.open()
    doc.new_page().insert_htmlbox(pymupdf.Rect(50, 50, 545, 400),
                                  "<p>The final office inspection found a flaw in the fire exit.</p>")
    doc.save(str(docs / "inspection.pdf"))
    raw = pymupdf.open(str(docs / "inspection.pdf"))[0].get_text("text", flags=pymupdf.TEXTFLAGS_TEXT)
    assert "ﬁ" in raw or "ﬃ" in raw  # the file really holds ligatures
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    hits = archivist.search("office inspection flaw", k=3).hits
    assert hits and "final office inspection found a flaw" in hits[0].text
    assert hits[0].text_rank is not None  # found by its words too


def test_the_preview_finds_a_passage_indexed_with_ligatures():
    page = "Header\nThe final office inspection found a flaw.\n"
    old_passage = "The ﬁnal oﬃce inspection found a ﬂaw."
    start, end = 7, 7 + len(old_passage)  # offsets from the ligature text: no longer exact
    span = locate_in_text(page, start, end, old_passage)
    assert span is not None and page[span[0]:span[1]] == "The final office inspection found a flaw."
