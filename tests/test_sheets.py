"""Spreadsheets parsed into rows that keep their column headers: XLSX (formulas' saved results,
number formats, a hidden sheet), ODS, CSV, TSV, XLS; exact lines, sheets, row ranges, offsets;
bad workbooks get their reasons. Search through the whole index: test_sheets_index.py."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from core.parsing import ParseError, parse_file
from core.parsing.sheet_cells import cell_text, general, moment, number
from core.parsing.sheet_text import SheetText
from core.parsing.sheets import read_window
from tests.fixtures import bad_files as bf
from tests.fixtures import sheet_files as sf


def fails(path) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_file(str(path))
    return info.value


def lines_of(doc, page: int) -> list[str]:
    return [line for s in doc.sections if s.page == page for line in s.text.split("\n")]


# -- what a cell shows --------------------------------------------------------------------------

@pytest.mark.parametrize("value, fmt, shown", [
    (1250, "#,##0.00", "1,250.00"),
    (1250.0000001, None, "1250"),  # General: no float noise
    (0.1 + 0.2, "General", "0.3"),
    (3.14159265358979, None, "3.141592654"),
    (1234567890123, None, "1234567890123"),  # an id stays whole
    (0.125, "0%", "13%"),
    (0.125, "0.0%", "12.5%"),
    (0.125, "0.0 %", "12.5 %"),  # the sign apart from the digits, as French or German formats write it
    (1250, '"$"#,##0.00', "$1,250.00"),
    (1250, '[$€-407] #,##0.00', "€ 1,250.00"),
    (-1250, "#,##0.00;(#,##0.00)", "(1,250.00)"),
    (-1250, "#,##0.00;[Red]-#,##0.00", "-1,250.00"),
    (2.675, "0.00", "2.68"),  # half away from zero, as spreadsheets round
    (3.14159, "0.0#", "3.14"),
    (2.5, "0.0#", "2.5"),
    (1250000, "#,##0,", "1,250"),  # a trailing comma shows thousands
    (0.5, "# ?/?", "0.5"),  # fractions: not an easy format, shown as General
    (5, "[>=100]0;0.00", "5"),  # conditions: General
])
def test_numbers_as_a_person_reads_them(value, fmt, shown):
    assert number(value, fmt) == shown


@pytest.mark.parametrize("value, fmt, shown", [
    (dt.datetime(2024, 6, 30), "d mmmm", "30 June"),
    (dt.datetime(2024, 6, 30), "mm-dd-yy", "2024-06-30"),  # all digits: read differently per locale
    (dt.datetime(2024, 6, 30), "dddd, d mmm yyyy", "Sunday, 30 Jun 2024"),
    (dt.datetime(2024, 6, 30, 14, 5), "d mmm yyyy h:mm", "30 Jun 2024 14:05"),
    (dt.datetime(2024, 6, 30, 14, 5), "d mmm yyyy h:mm AM/PM", "30 Jun 2024 2:05 PM"),
    (dt.datetime(2024, 6, 30, 14, 5), "yyyy-mm-dd hh:mm", "2024-06-30 14:05"),
    (dt.datetime(2024, 6, 30), '[$-409]mmmm d, yyyy;@', "June 30, 2024"),
    (dt.time(9, 30), "h:mm", "09:30"),
    (dt.timedelta(hours=26, minutes=30), "[h]:mm:ss", "26:30:00"),
])
def test_dates_as_iso_or_as_their_format_spells_them(value, fmt, shown):
    assert moment(value, fmt) == shown


def test_cells_are_one_line_and_know_their_type():
    assert cell_text("two\nlines") == ("two lines", False)
    assert cell_text(True) == ("TRUE", True)
    assert cell_text(None) == ("", False)
    assert general(1.5e20) == "1.5E+20"


# -- the header row -----------------------------------------------------------------------------

def rows(*values):
    return [(n, [cell_text(v) for v in row]) for n, row in enumerate(values, start=1) if row is not None]


def test_header_under_a_title_row_names_the_columns():
    sheet = SheetText(rows(["Budget 2024"], [], ["Item", "Cost", "Paid"], ["Desk", 120, dt.datetime(2024, 2, 1)]))
    assert sheet.header_row == 3
    assert [line for _, _, line in sheet.lines()] == [
        "Budget 2024", "Item · Cost · Paid", "Item: Desk · Cost: 120 · Paid: 2024-02-01"]


def test_a_sheet_without_a_header_uses_column_letters_and_leaves_empty_cells_out():
    sheet = SheetText(rows([2021, 4.5, "north"], [2022, None, "south"]))
    assert sheet.header_row is None
    assert [line for _, _, line in sheet.lines()] == ["A: 2021 · B: 4.5 · C: north", "A: 2022 · C: south"]


def test_all_text_tables_with_and_without_a_header():
    with_header = SheetText(rows(["Name", "City"], ["Ada Lovelace", "London"], ["Grace Hopper", "Arlington"]))
    assert with_header.header_row == 1
    sentences = SheetText(rows(["The meeting moved to the Lisbon office", "confirmed"],
                               ["Budget approved", "pending"]))
    assert sentences.header_row is None
    repeated = SheetText(rows(["yes", "yes"], ["no", "yes"]))
    assert repeated.header_row is None  # repeated labels are no header


def test_a_column_without_a_label_is_named_by_its_letter():
    sheet = SheetText(rows(["Name", None, "Total"], ["Ada", "x", 3]))
    assert list(sheet.lines())[1][2] == "Name: Ada · B: x · Total: 3"


# -- workbooks ---------------------------------------------------------------------------------

def test_xlsx_rows_keep_headers_formula_results_and_sheets(tmp_path):
    path = sf.invoices_xlsx(tmp_path / "invoices.xlsx")
    doc = parse_file(str(path))
    assert (doc.kind, doc.page_count) == ("sheet", 3)
    assert lines_of(doc, 1) == ["A: Prepared by the finance office for the yearly audit."]
    invoices = lines_of(doc, 2)
    assert invoices[:2] == ["Invoices issued in 2024", "Invoice · Customer · Qty · Price · Amount · Due"]
    assert sf.KNOWN_LINE in invoices  # Amount is a formula: its saved result, formatted
    known = next(s for s in doc.sections if sf.KNOWN_LINE in s.text)
    first, last = (int(n) for n in known.heading[1].removeprefix("rows ").split("–"))
    assert known.page == 2 and known.heading[0] == "Invoices" and first <= sf.KNOWN_ROW_NUMBER <= last
    assert lines_of(doc, 3) == ["Currency · Rate", "Currency: CZK · Rate: 25.3411", "Currency: USD · Rate: 0.3"]
    assert {s.heading[0] for s in doc.sections if s.page == 3} == {"Rates (hidden)"}


def test_offsets_and_row_ranges_point_back_at_the_rows(tmp_path):
    path = str(sf.invoices_xlsx(tmp_path / "invoices.xlsx"))
    doc = parse_file(path)
    window = read_window(path, 2, size=10_000)
    assert window.complete and window.offset == 0 and window.header_row == 3
    assert window.labels == sf.INVOICE_HEADER
    numbers = [n for n, _ in window.rows]
    for section in (s for s in doc.sections if s.page == 2):
        assert window.text[section.start:section.start + len(section.text)] == section.text
        first_line = window.line_starts.index(section.start)
        last_line = first_line + section.text.count("\n")
        assert section.heading[1] in (f"rows {numbers[first_line]}–{numbers[last_line]}", f"row {numbers[first_line]}")
    assert len(doc.sections) > 5 and all(len(s.text.split("\n")) <= 10 for s in doc.sections)
    known = numbers[next(i for i, (_, cells) in enumerate(window.rows) if sf.KNOWN_INVOICE in cells)]
    assert known == sf.KNOWN_ROW_NUMBER


def test_ods_prefers_typed_values_and_counts_repeated_rows(tmp_path):
    path = str(sf.stock_ods(tmp_path / "stock.ods"))
    doc = parse_file(path)
    assert (doc.kind, doc.page_count, doc.title) == ("sheet", 2, "Plumbing stock")
    assert lines_of(doc, 1) == [
        "Item · Warehouse · Count · Checked",
        "Item: Copper pipe 15 mm · Warehouse: Brno · Count: 340 · Checked: 2024-03-05",
        "Item: Brass valve DN20 · Warehouse: Ostrava · Count: 1250.5 · Checked: 2024-03-07",
        "Item: Note with break · Checked: TRUE",  # the comment is not the cell's text
    ]
    assert doc.sections[0].heading == ("Stock", "rows 1–6")  # rows 3–4 are empty, 1,048,000 more too
    assert [n for n, _ in read_window(path, 1).rows] == [1, 2, 5, 6]
    assert lines_of(doc, 2) == ["Item · Count", "Item: Old gasket · Count: 7"]
    assert doc.sections[-1].heading == ("Archive (hidden)", "rows 1–2")


def test_semicolon_csv_in_cp1252(tmp_path):
    doc = parse_file(str(sf.cp1252_semicolon_csv(tmp_path / "kunden.csv")))
    assert doc.kind == "sheet" and doc.sections[0].heading == ("kunden", "rows 1–3")
    assert lines_of(doc, 1) == [
        "Kunde · Straße · Betrag · Fällig",
        "Kunde: Müller GmbH · Straße: Hauptstraße 5 · Betrag: 1.250,00 € · Fällig: 30.06.2024",
        "Kunde: Café Größe · Straße: Am Markt; Eingang B · Betrag: 87,50 € · Fällig: 01.07.2024",
    ]


def test_tsv_with_quoted_fields(tmp_path):
    doc = parse_file(str(sf.tab_separated(tmp_path / "people.tsv")))
    assert lines_of(doc, 1)[2] == 'name: Grace Hopper · city: Arlington · note: said "it is easier to ask forgiveness"'


def test_xls_through_xlrd(tmp_path):
    doc = parse_file(str(sf.legacy_xls(tmp_path / "budget.xls")))
    assert lines_of(doc, 1) == ["Department · Budget · Approved",
                                "Department: Research · Budget: 48,250.50 · Approved: 2023-11-14",
                                "Department: Facilities · Budget: 12,000.00 · Approved: 2023-12-01"]


def test_a_web_page_saved_as_xls_is_read_as_one(tmp_path):
    path = bf.write(tmp_path, "export.xls", "<html><body><table><tr><td>Quarterly revenue 1200</td></tr>"
                                            "</table></body></html>")
    assert "Quarterly revenue 1200" in parse_file(path).sections[0].text


# -- bad workbooks ------------------------------------------------------------------------------

def test_password_protected_workbooks_need_a_password(tmp_path):
    xlsx = bf.ole2_renamed(tmp_path, "salaries.xlsx")
    with open(xlsx, "ab") as fh:
        fh.write("EncryptedPackage".encode("utf-16-le"))
    assert (fails(xlsx).status, fails(xlsx).reason) == ("skipped", "encrypted: needs a password")
    ods = sf.write_ods(tmp_path / "secret.ods", {"S": [sf.ods_row("x")]}, encrypted=True)
    assert (fails(ods).status, fails(ods).reason) == ("skipped", "encrypted: needs a password")
    xls = sf.legacy_xls(tmp_path / "locked.xls")
    data = bytearray(xls.read_bytes())
    bof = data.index(bytes.fromhex("0908100000060500"))  # the workbook globals' first record
    data[bof + 20:bof + 22] = (0x2F).to_bytes(2, "little")  # the next record becomes FILEPASS
    xls.write_bytes(bytes(data))
    assert (fails(xls).status, fails(xls).reason) == ("skipped", "encrypted: needs a password")


def test_damaged_and_empty_workbooks(tmp_path):
    good = sf.invoices_xlsx(tmp_path / "good.xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good[: len(good) // 2])
    err = fails(cut)
    assert err.status == "failed" and err.reason.startswith("unreadable workbook: damaged ZIP container")
    err = fails(bf.write(tmp_path, "notzip.xlsx", "just some words"))
    assert (err.status, err.reason) == ("failed", "unreadable workbook: not a ZIP package")
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    assert (fails(empty).status, fails(empty).reason) == ("skipped", "no text content")
    whole = sf.write_ods(tmp_path / "whole.ods", {"S": [sf.ods_row("x")]})
    broken = tmp_path / "broken.ods"
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info) if info.filename != "content.xml" else b"<office:document-content")
    err = fails(broken)
    assert err.status == "failed" and err.reason.startswith("unreadable OpenDocument spreadsheet")
    cut_table = tmp_path / "cut_table.ods"
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(cut_table, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data[: data.index(b"</table:table-row>") + 30] if info.filename == "content.xml" else data)
    err = fails(cut_table)  # damaged midway, while its rows are being read
    assert err.status == "failed" and err.reason.startswith("unreadable OpenDocument spreadsheet: ParseError")
    junk = bf.ole2_renamed(tmp_path, "old.xls")
    err = fails(junk)
    assert err.status == "failed" and err.reason.startswith("unreadable Excel 97–2003 workbook")


def test_macro_enabled_workbooks(tmp_path):
    path = sf.invoices_xlsx(tmp_path / "invoices.xlsm")
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    assert main in parts["[Content_Types].xml"]
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        main, b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert sf.KNOWN_LINE in "\n".join(lines_of(parse_file(str(path)), 2))


def test_renamed_workbooks_are_read_by_what_they_are(tmp_path):
    path = sf.invoices_xlsx(tmp_path / "invoices.xlsx")
    renamed = Path(path).rename(tmp_path / "invoices.docx")
    assert parse_file(str(renamed)).kind == "sheet"


def test_each_row_of_a_passage_is_a_sentence_of_its_own(tmp_path):
    """What an answer rests on, the evidence card and the preview's marks point at rows."""
    from core.answer.sentences import split_sentences

    doc = parse_file(str(sf.invoices_xlsx(tmp_path / "invoices.xlsx")))
    section = next(s for s in doc.sections if sf.KNOWN_LINE in s.text)
    rows = [span.of(section.text) for span in split_sentences(section.text, "sheet")]
    assert rows == section.text.split("\n") and sf.KNOWN_LINE in rows
    assert len(split_sentences(section.text)) < len(rows)  # as prose, long lines read as wrapped


def test_cli_shows_a_sheet_passage_row_by_row():
    from types import SimpleNamespace

    from core.cli_evidence import snippet

    rows = "Invoice: 2024-116 · Amount: 264.00\nInvoice: 2024-117 · Amount: 1,250.00"
    assert snippet(SimpleNamespace(kind="sheet", text=rows)) == rows.split("\n")
    assert snippet(SimpleNamespace(kind="pdf", text=rows)) == [" ".join(rows.split())]
    assert snippet(SimpleNamespace(kind="sheet", text=rows), limit=20) == [rows.split("\n")[0] + " …"]
    assert snippet(SimpleNamespace(kind="text", text="word " * 100), limit=12) == ["word word wo…"]


def test_a_workbook_of_many_sheets_is_read_in_windows_of_sheets(tmp_path):
    """Sheets are what a workbook's pages count, so the indexer's page windows (slices.py) apply."""
    import concurrent.futures
    import threading

    from core.parsing.slices import SLICE_PAGES, parse_in_slices

    class InProcess:
        windows: list = []

        def submit(self, path, **kwargs):
            self.windows.append(kwargs["page_range"])
            future = concurrent.futures.Future()
            future.set_result(parse_file(path, **kwargs))
            return future

    count = SLICE_PAGES + 5
    sheets = {f"Month {n}": [sf.ods_row("Total", n * 100)] for n in range(1, count + 1)}
    path = sf.write_ods(tmp_path / "months.ods", sheets)
    pool = InProcess()
    doc = parse_in_slices(pool, str(path), threading.Event())
    assert pool.windows == [(1, SLICE_PAGES), (SLICE_PAGES + 1, count)]
    assert doc.page_count == count and [s.page for s in doc.sections] == list(range(1, count + 1))
    assert doc.sections[-1].text == f"A: Total · B: {count * 100}"  # one row: no header to name it
