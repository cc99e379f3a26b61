"""Scanned pages end to end: flagged while OCR is off, indexed (and found) once it is on."""

import pymupdf


def scanned_pdf(path, lines_per_page):
    """A PDF whose pages are only pictures of text, like a scanner makes."""
    out = pymupdf.open()
    for lines in lines_per_page:
        src = pymupdf.open()
        page = src.new_page()
        for i, line in enumerate(lines):
            page.insert_text((72, 100 + 40 * i), line, fontsize=24)
        pix = page.get_pixmap(dpi=150)
        scan = out.new_page(width=page.rect.width, height=page.rect.height)
        scan.insert_image(scan.rect, pixmap=pix)
    out.save(str(path))
    return path


def test_scans_need_ocr_then_are_indexed_with_it(docs, make_archivist, monkeypatch):
    pdf = scanned_pdf(docs / "scan.pdf", [["Quarterly report"], ["The harbour master", "retires in May"]])
    archivist = make_archivist(ocr=False)
    archivist.add_source(docs)
    archivist.sync()
    record = archivist.manifest.get(str(pdf))
    assert record.status == "needs_ocr" and "pages 1, 2" in record.reason
    assert "OCR is turned off in the settings" in record.reason

    archivist.settings.ocr = True
    archivist.sync(retry=True)
    record = archivist.manifest.get(str(pdf))
    assert record.status == "indexed" and "read by OCR" in record.reason
    hit = archivist.search("When does the harbour master retire?").hits[0]
    assert (hit.path, hit.page) == (str(pdf), 2) and "harbour" in hit.text.lower()
