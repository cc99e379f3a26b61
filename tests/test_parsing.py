"""parse_file against real generated files: good ones (known text on known pages, exact offsets)
and bad ones (exact status and reason)."""

from __future__ import annotations

import os
import pickle
import socket
import time
from pathlib import Path

import pymupdf
import pytest

from core.parsing import SUPPORTED_EXTENSIONS, ParsedDocument, ParseError, parse_file
from core.parsing.decode import decode_text
from tests.fixtures import bad_files as bf


def fails(path: str, **kw) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_file(path, **kw)
    return info.value


def assert_offsets(doc: ParsedDocument, unit: str) -> None:
    """Every section is an exact, trimmed, non-empty slice of its locator unit."""
    assert doc.sections
    for s in doc.sections:
        assert s.text.strip() and s.text == s.text.strip()
        assert unit[s.start : s.start + len(s.text)] == s.text


def pdf_page_text(path: str, page: int) -> str:
    with pymupdf.open(path) as doc:
        return doc[page - 1].get_text()


# ---------------------------------------------------------------- PDF


def test_pdf_known_text_on_known_pages_with_toc_headings(tmp_path):
    path = bf.good_pdf(tmp_path)
    doc = parse_file(path)
    assert doc.kind == "pdf" and doc.title == bf.PDF_TITLE and doc.page_count == 4
    assert [s.page for s in doc.sections] == [1, 2, 3, 4]
    assert [s.heading for s in doc.sections] == [
        ("Chapter One",),
        ("Chapter One", "Oranges"),
        ("Chapter Two",),
        ("Chapter Two", "Labels"),
    ]
    with pymupdf.open(path) as pdf:
        for s, expected in zip(doc.sections, bf.PDF_PAGES):
            assert " ".join(s.text.split()) == expected
            page = pdf[s.page - 1]
            full = page.get_text()
            assert full[s.start : s.start + len(s.text)] == s.text
            assert page.search_for(s.text.split("\n")[0])  # the highlighter can find it
    assert doc.warnings == () and doc.needs_ocr_pages == () and doc.ocr_pages == ()


def test_pdf_page_range_parses_a_window(tmp_path):
    doc = parse_file(bf.good_pdf(tmp_path), page_range=(2, 3))
    assert [s.page for s in doc.sections] == [2, 3] and doc.page_count == 4


def test_encrypted_pdf_is_skipped(tmp_path):  # case 1
    err = fails(bf.encrypted_pdf(tmp_path))
    assert (err.status, err.reason, err.retry) == ("skipped", "encrypted: needs a password", False)


def test_owner_password_only_pdf_indexes_normally(tmp_path):  # case 2
    doc = parse_file(bf.owner_only_pdf(tmp_path))
    assert [" ".join(s.text.split()) for s in doc.sections] == bf.PDF_PAGES


@pytest.mark.parametrize("builder", [bf.truncated_pdf, bf.header_only_pdf])
def test_truncated_or_header_only_pdf_is_unparseable(tmp_path, builder):  # case 3
    err = fails(builder(tmp_path))
    assert err.status == "failed" and err.reason.startswith("unparseable PDF: ")
    assert len(err.reason) > len("unparseable PDF: ")


def test_repairable_xref_is_indexed_with_warning(tmp_path):  # case 4
    doc = parse_file(bf.broken_xref_pdf(tmp_path))
    assert "repaired a damaged file structure" in doc.warnings
    assert [s.page for s in doc.sections] == [1, 2, 3, 4]
    assert "seville oranges" in doc.sections[1].text


def test_image_only_pdf_needs_ocr(tmp_path):  # case 5
    err = fails(bf.image_only_pdf(tmp_path), ocr=False)
    assert (err.status, err.reason) == ("skipped", "no text layer (OCR needed)")
    assert err.details["needs_ocr_pages"] == [1, 2]


def test_mixed_pdf_lists_pages_needing_ocr_and_skips_blank_ones(tmp_path):  # case 5
    doc = parse_file(bf.mixed_pdf(tmp_path), ocr=False)
    assert [s.page for s in doc.sections] == [1, 3]
    assert doc.needs_ocr_pages == (2,)  # page 4 is blank on purpose, not a scan
    assert doc.page_count == 4


def test_garbled_font_page_is_flagged_not_indexed(tmp_path):  # case 6
    doc = parse_file(bf.garbled_pdf(tmp_path), ocr=False)
    assert [s.page for s in doc.sections] == [1]
    assert doc.needs_ocr_pages == (2,)
    assert any(w.startswith("unreadable text") and "page 2" in w for w in doc.warnings)
    assert all("\ufffd" not in s.text for s in doc.sections)


def test_near_empty_pdf_warns(tmp_path):  # case 7
    doc = parse_file(bf.near_empty_pdf(tmp_path))
    assert "almost empty" in doc.warnings and len(doc.sections) == 1
    assert "almost empty" not in parse_file(bf.good_pdf(tmp_path)).warnings


def test_ocr_reads_scanned_and_garbled_pages(tmp_path):  # with the bundled engine: nothing to install
    path = tmp_path / "scan.pdf"
    src = pymupdf.open()
    src.new_page().insert_text((72, 100), "OCR SAMPLE TEXT", fontsize=40)
    pix = src[0].get_pixmap(dpi=150)
    img = pymupdf.open()
    img.new_page().insert_image(img[0].rect, pixmap=pix)
    img.save(path)
    doc = parse_file(str(path))
    assert doc.ocr_pages == (1,) and "SAMPLE" in doc.sections[0].text.upper()
    assert fails(str(path), ocr=False).reason == "no text layer (OCR needed)"
    garbled = parse_file(bf.garbled_pdf(tmp_path))  # case 6: OCR recovers the garbled page
    assert garbled.ocr_pages == (2,) and "seville" in garbled.sections[1].text.lower()
    err = fails(bf.image_only_pdf(tmp_path))  # a picture with no words in it
    assert err.reason == "no text layer, and OCR found no legible text"


def test_pdf_renamed_txt_is_parsed_as_pdf(tmp_path):  # sniffing beats the extension
    path = Path(bf.good_pdf(tmp_path))
    renamed = path.rename(path.with_suffix(".txt"))
    assert parse_file(str(renamed)).kind == "pdf"


def test_epub_pages(tmp_path):
    doc = parse_file(bf.epub(tmp_path))
    assert doc.kind == "epub" and doc.title == "Lighthouse Tales"
    assert [s.page for s in doc.sections] == [1, 2]
    assert "keeper lit the lamp" in doc.sections[0].text
    assert "gulls" in doc.sections[1].text


# ---------------------------------------------------------------- generic bad inputs


def test_zero_byte_file(tmp_path):
    assert (fails(bf.zero_byte(tmp_path)).reason, fails(bf.zero_byte(tmp_path)).status) == (
        "empty file",
        "skipped",
    )


def test_too_large_is_reported_with_sizes(tmp_path):  # case 19
    path = bf.write(tmp_path, "big.txt", "word " * (2 * 2**20 // 5 + 10))
    err = fails(path, max_bytes=2**20)
    assert (err.status, err.reason) == ("skipped", "too large (2 MB, limit 1 MB)")


def test_binary_named_txt_is_skipped(tmp_path):
    err = fails(bf.binary_named_txt(tmp_path))
    assert (err.status, err.reason) == ("skipped", "binary content in a text file")


@pytest.mark.parametrize("name", ["report.docx", "old.doc"])
def test_ole2_legacy_office_by_magic(tmp_path, name):  # case 14
    err = fails(bf.ole2_renamed(tmp_path, name))
    assert (err.status, err.reason) == ("skipped", "unsupported legacy Office format")


def test_ole2_named_xls_without_a_workbook_is_damaged(tmp_path):  # xlrd reads real .xls files
    err = fails(bf.ole2_renamed(tmp_path, "sheet.xls"))
    assert err.status == "failed" and err.reason.startswith("unreadable Excel 97–2003 workbook")


def test_password_protected_docx_is_encrypted_not_legacy(tmp_path):
    err = fails(bf.encrypted_ooxml(tmp_path))
    assert (err.status, err.reason) == ("skipped", "encrypted: needs a password")


def test_fb2_via_mupdf(tmp_path):
    doc = parse_file(bf.fb2(tmp_path))
    assert doc.kind == "fb2" and "fox crossed the frozen river" in doc.sections[0].text


def test_xlsx_without_its_parts_is_unreadable(tmp_path):  # real workbooks: tests/test_sheets.py
    err = fails(bf.fake_xlsx(tmp_path))
    assert err.status == "failed" and err.reason.startswith("unreadable Excel workbook")


def test_unknown_extension_is_unsupported(tmp_path):
    err = fails(bf.write(tmp_path, "photo.heic", "not really"))
    assert (err.status, err.reason) == ("skipped", "unsupported file type (.heic)")


def test_vanished_file(tmp_path):
    err = fails(str(tmp_path / "gone.md"))
    assert (err.status, err.reason) == ("failed", "file disappeared while being read")
    assert err.details == {"vanished": True}


def test_unreadable_file_is_access_denied(tmp_path):  # case 27
    path = bf.unreadable(tmp_path)
    if getattr(os, "geteuid", lambda: 1)() == 0:
        assert parse_file(path).title == "Locked"  # root reads it anyway: no false alarm
        pytest.skip("running as root: chmod 000 does not stop root, access-denied not checked")
    err = fails(path)
    assert (err.status, err.reason, err.retry) == ("failed", "access denied", True)


def test_non_utf8_and_quoted_names(tmp_path):  # case 19
    path = bf.non_utf8_name(tmp_path)
    assert "\udce9" in path  # a surrogate escape, exactly as os.fsdecode hands it over
    assert parse_file(path).title == "Café"
    assert parse_file(bf.quoted_name(tmp_path)).sections[0].heading == ("Quotes",)
    pdf = Path(bf.good_pdf(tmp_path)).read_bytes()
    assert parse_file(bf.non_utf8_name(tmp_path, b".pdf", pdf)).page_count == 4


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
def test_directory_fifo_and_symlinks(tmp_path):  # case 16
    assert fails(str(tmp_path)).reason == "not a regular file"
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    start = time.monotonic()
    assert fails(str(fifo)).reason == "not a regular file"
    assert time.monotonic() - start < 5  # opening a FIFO must not block
    target = Path(bf.good_pdf(tmp_path))
    (tmp_path / "link.pdf").symlink_to(target)
    assert parse_file(str(tmp_path / "link.pdf")).page_count == 4
    (tmp_path / "loop_a.md").symlink_to(tmp_path / "loop_b.md")
    (tmp_path / "loop_b.md").symlink_to(tmp_path / "loop_a.md")
    assert fails(str(tmp_path / "loop_a.md")).reason == "symlink loop"
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    assert fails(str(tmp_path / "dangling.md")).details == {"vanished": True}


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="POSIX only")
def test_unix_socket_is_not_a_regular_file(tmp_path):
    path = tmp_path / "s.txt"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        err = fails(str(path))
        assert (err.status, err.reason) == ("skipped", "not a regular file")


# ---------------------------------------------------------------- compressed files (case 16)


def test_gz_policy(tmp_path):
    doc = parse_file(bf.markdown_gz(tmp_path))
    assert doc.kind == "markdown" and doc.sections[0].heading == ("Zipped",)
    err = fails(bf.tar_gz(tmp_path))
    assert (err.status, err.reason) == ("skipped", "compressed files are not indexed")
    bomb = bf.gzip_bomb(tmp_path)  # 8 MB of output from a few KB
    assert os.path.getsize(bomb) < 2**20
    err = fails(bomb, max_bytes=2**20)
    assert (err.status, err.reason) == ("skipped", "too large when decompressed (limit 1 MB)")


# ---------------------------------------------------------------- text formats


def test_markdown_sections_headings_and_exact_offsets(tmp_path):
    path = bf.write(tmp_path, "garden.md", bf.MARKDOWN)
    doc = parse_file(path)
    text = bf.MARKDOWN
    assert doc.kind == "markdown" and doc.title == "Garden Notes"
    assert_offsets(doc, text)
    assert [s.heading for s in doc.sections] == [
        (),
        ("Tomatoes",),
        ("Tomatoes", "Pests"),
        ("Setext Heading",),
    ]
    assert doc.sections[0].text == "Intro paragraph before any heading."
    assert "# not a heading inside a code fence" in doc.sections[1].text
    assert doc.sections[3].text.startswith("Setext Heading\r\n====")
    assert "title:" not in "".join(s.text for s in doc.sections)  # front matter is metadata


def test_rst_headings_by_adornment(tmp_path):
    doc = parse_file(bf.write(tmp_path, "cook.rst", bf.RST))
    assert doc.kind == "rst" and doc.title == "Cookbook"
    assert_offsets(doc, bf.RST)
    assert [s.heading for s in doc.sections] == [
        ("Cookbook",),
        ("Cookbook", "Soups"),
        ("Cookbook", "Soups", "Cold soups"),
        ("Cookbook", "Breads"),
    ]
    assert "Gazpacho" in doc.sections[2].text and "Lentil" not in doc.sections[2].text


@pytest.mark.parametrize(
    "encoding, name",
    [("utf-8", "a.txt"), ("utf-8-sig", "b.txt"), ("utf-16", "c.txt"), ("cp1252", "d.txt")],
)
def test_plain_text_decoding_and_offsets(tmp_path, encoding, name):
    body = ("Crème brûlée costs 5 € at the café near the station.\n\n" * 40).strip()
    doc = parse_file(bf.write(tmp_path, name, body.encode(encoding)))
    decoded, _ = decode_text(Path(tmp_path / name).read_bytes())
    assert doc.kind == "text" and decoded.startswith("Crème")
    assert_offsets(doc, decoded)
    assert doc.sections[0].text.startswith("Crème brûlée")


def test_large_text_is_cut_into_bounded_sections(tmp_path):
    body = "".join(f"Paragraph {i} about tides.\n\n" for i in range(20000))
    doc = parse_file(bf.write(tmp_path, "log.txt", body))
    assert len(doc.sections) > 5 and max(len(s.text) for s in doc.sections) <= 32_000
    assert_offsets(doc, body)
    assert "".join(s.text for s in doc.sections).count("Paragraph") == 20000


def test_source_code_kind(tmp_path):
    src = "def hello():\n    return 'hi'\n"
    doc = parse_file(bf.write(tmp_path, "hello.py", src))
    assert doc.kind == "code" and doc.sections[0].text == src.strip()


def test_custom_extension_mapping(tmp_path):
    path = bf.write(tmp_path, "notes.wiki", "= Title =\nBody text.\n")
    assert fails(path).reason == "unsupported file type (.wiki)"
    doc = parse_file(path, kinds={**SUPPORTED_EXTENSIONS, ".wiki": "text"})
    assert doc.kind == "text" and "Body text." in doc.sections[0].text


# ---------------------------------------------------------------- HTML (case 15)


def test_html_windows_1252_visible_text_only(tmp_path):
    doc = parse_file(bf.html_cp1252(tmp_path))
    allt = "\n".join(s.text for s in doc.sections)
    assert doc.kind == "html" and doc.title == "Café Guide"
    assert "“Quoted” crème brûlée." in allt and "2 €" in allt
    for hidden in ("secretScript", "secret-style", "secret noscript", "secret template"):
        assert hidden not in allt
    assert [s.heading for s in doc.sections] == [("Café – naïve",), ("Café – naïve", "Prices")]
    assert doc.sections[1].text.startswith("Prices")


def test_html_shift_jis_declared(tmp_path):
    doc = parse_file(bf.html_shift_jis(tmp_path))
    assert doc.title == "日本語" and doc.sections[0].heading == ("東京",)
    assert "東京タワーに行きました" in doc.sections[0].text


def test_html_offsets_index_the_extracted_text(tmp_path):
    html = "<h1>A</h1><p>one  two\n three</p><h2>B</h2><p>four</p>"
    doc = parse_file(bf.write(tmp_path, "o.html", html))
    assert [s.text for s in doc.sections] == ["A\n\none two three", "B\n\nfour"]
    assert doc.sections[1].start == len("A\n\none two three\n\n")


def test_huge_html_in_bounded_time(tmp_path):
    path = bf.huge_html(tmp_path)
    assert os.path.getsize(path) >= 20 * 2**20
    start = time.monotonic()
    doc = parse_file(path)
    elapsed = time.monotonic() - start
    assert elapsed < 60, elapsed
    allt = "".join(s.text for s in doc.sections[-3:])
    assert "THE-VERY-END" in allt and "hidden" not in doc.sections[5].text
    assert doc.sections[2].heading == ("Huge page", "Section 1")


# ---------------------------------------------------------------- DOCX (cases 12, 13)


def test_docx_body_tables_headers_footers_hyperlinks(tmp_path):
    doc = parse_file(bf.rich_docx(tmp_path))
    assert doc.kind == "docx" and doc.title == "Quarterly Review"
    by_heading = {s.heading: s.text for s in doc.sections}
    assert by_heading[()] == "Preface line before headings."
    assert "the sales dashboard for details." in by_heading[("Revenue",)]
    assert by_heading[("Revenue", "By region")] == "By region\n\nNorth | 120\nSouth | 95"
    assert by_heading[("Header",)] == "Confidential header text"
    assert by_heading[("Footer",)] == "Footer page marker"
    assert "Reviewer comment text" not in "".join(by_heading.values())
    starts = [s.start for s in doc.sections]
    assert starts == sorted(starts) and starts[0] == 0
    # offsets index the concatenated text: rebuild it from the sections' own positions
    unit = [" "] * (doc.sections[-1].start + len(doc.sections[-1].text))
    for s in doc.sections:
        unit[s.start : s.start + len(s.text)] = s.text
    assert_offsets(doc, "".join(unit))


def test_docx_missing_core_properties_and_styles(tmp_path):
    doc = parse_file(bf.docx_missing_parts(tmp_path))
    assert doc.title != "Word Document"  # python-docx's invented default must not leak
    assert ("Revenue", "By region") in [s.heading for s in doc.sections]
    assert any("North | 120" in s.text for s in doc.sections)


@pytest.mark.parametrize("builder", [bf.docx_dangling_rel, bf.docx_without_body])
def test_malformed_docx_is_an_error_status(tmp_path, builder):
    err = fails(builder(tmp_path))
    assert err.status == "failed" and err.reason.startswith("unreadable DOCX")


def test_docx_zip_bomb_refused_before_unpacking(tmp_path):
    path = bf.zip_bomb_docx(tmp_path)
    assert os.path.getsize(path) < 5 * 2**20
    start = time.monotonic()
    err = fails(path)
    assert time.monotonic() - start < 2  # refused from the directory, nothing inflated
    assert err.status == "failed"
    assert err.reason == "DOCX unpacks to 600.8 MB (limit 512 MB): possible zip bomb"


def test_docx_that_is_not_a_zip(tmp_path):
    err = fails(bf.write(tmp_path, "plain.docx", "just some text"))
    assert (err.status, err.reason) == ("failed", "unreadable DOCX: not a ZIP package")


# ---------------------------------------------------------------- contract


def test_parse_error_survives_pickling():
    err = ParseError(status="failed", reason="x", retry=True, details={"a": 1})
    back = pickle.loads(pickle.dumps(err))
    assert (back.status, back.reason, back.retry, back.details) == ("failed", "x", True, {"a": 1})
    assert str(back) == "failed: x"


def test_documents_survive_pickling(tmp_path):
    doc = parse_file(bf.good_pdf(tmp_path))
    assert pickle.loads(pickle.dumps(doc)) == doc
