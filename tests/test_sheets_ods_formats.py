"""ODS cells read as LibreOffice shows them: each cell's number format (its data style, reached
through its cell style, a parent style or its column's default style, in content.xml or styles.xml)
is applied as sheet_cells applies an XLSX cell's format. Where LibreOffice is installed, its own
rendering of the same files is the reference."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from core.parsing import parse_file
from core.parsing.sheets import read_window
from tests.fixtures import sheet_files as sf

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
_N = '<number:number number:decimal-places="{}" number:min-decimal-places="{}" number:min-integer-digits="1"{}/>'
TWO = _N.format(2, 2, ' number:grouping="true"')
WHOLE = _N.format(0, 0, ' number:grouping="true"')


def line_of(doc, row: int) -> str:
    for section in doc.sections:
        first = int(re.search(r"\d+", section.heading[1]).group())
        lines = section.text.split("\n")
        if first <= row < first + len(lines):
            return lines[row - first]
    raise AssertionError(f"no row {row}")


def test_ods_rows_show_numbers_and_dates_under_their_formats(tmp_path):
    doc = parse_file(str(sf.ledger_ods(tmp_path / "ledger.ods")))
    assert line_of(doc, 1) == " · ".join(sf.LEDGER_HEADER)
    assert line_of(doc, sf.LEDGER_KNOWN_ROW) == sf.LEDGER_KNOWN_LINE
    assert line_of(doc, 3) == ("Invoice: 2024-101 · Amount: 193.70 · Share: 2.00% · Net: 160.08 € · Fee: $3.50 · "
                               "Due: 2 February 2024 · Raw: 193.7 · Balance: 193.70")  # a positive balance


# (value type, value, data style named "D" and its helpers "D…") → what the cell shows; LibreOffice
# shows each the same (test_libreoffice_shows_what_we_read).
SAME_AS_LIBREOFFICE = [
    ("float", -1250.5, f'<number:number-style style:name="D">{TWO}</number:number-style>', "-1,250.50"),
    ("float", 0.5, '<number:number-style style:name="D"><number:number number:decimal-places="2" '
                   'number:min-integer-digits="0"/></number:number-style>', ".50"),
    ("float", 0.5, '<number:number-style style:name="D"><number:number number:decimal-places="2"/>'
                   '</number:number-style>', ".50"),  # no min-integer-digits: none
    ("float", 2.5, '<number:number-style style:name="D"><number:number number:decimal-places="2" '
                   'loext:min-decimal-places="1" number:min-integer-digits="1"/></number:number-style>', "2.5"),
    ("float", 1234567.891, '<number:number-style style:name="D"><number:number number:decimal-places="1" '
                           'number:min-integer-digits="1" number:grouping="true" number:display-factor="1000000"/>'
                           '<number:text> M</number:text></number:number-style>', "1.2 M"),
    ("float", -4321, f'<number:number-style style:name="DP0">{WHOLE}</number:number-style>'
                     f'<number:number-style style:name="DP1"><number:text>minus </number:text>{WHOLE}</number:number-style>'
                     '<number:number-style style:name="D"><number:text>zero</number:text>'
                     '<style:map style:condition="value()&gt;0" style:apply-style-name="DP0"/>'
                     '<style:map style:condition="value()&lt;0" style:apply-style-name="DP1"/></number:number-style>',
     "minus 4,321"),
    ("float", 1250.5, '<number:number-style style:name="D"><number:number number:min-integer-digits="1"/>'
                      '</number:number-style>', "1250.5"),  # no decimal places: General's digits
    ("percentage", 0.125, '<number:percentage-style style:name="D">' + _N.format(1, 1, "")
     + '<number:text> %</number:text></number:percentage-style>', "12.5 %"),
    ("currency", 1250.5, '<number:currency-style style:name="D"><number:currency-symbol number:language="de" '
                         f'number:country="CH">CHF</number:currency-symbol><number:text> </number:text>{TWO}'
                         '</number:currency-style>', "CHF 1,250.50"),
    ("date", "2024-06-30T14:05:00", '<number:date-style style:name="D"><number:day-of-week number:style="long"/>'
     '<number:text>, </number:text><number:day number:style="long"/><number:text>. </number:text>'
     '<number:month number:textual="true"/><number:text> </number:text><number:year/><number:text> </number:text>'
     '<number:hours/><number:text>:</number:text><number:minutes number:style="long"/><number:text> </number:text>'
     '<number:am-pm/></number:date-style>', "Sunday, 30. Jun 24 2:05 PM"),
    ("date", "2024-06-30", '<number:date-style style:name="D"><number:month number:style="long" number:textual="true"/>'
     '<number:text> </number:text><number:day/><number:text>, </number:text><number:year number:style="long"/>'
     '</number:date-style>', "June 30, 2024"),
]
# Formats with no easy reading are shown as General shows numbers, dates as ISO (as for XLSX).
AS_GENERAL = [
    ("float", 0.5, '<number:number-style style:name="D"><number:fraction number:min-integer-digits="0" '
                   'number:min-numerator-digits="1" number:min-denominator-digits="1"/></number:number-style>', "0.5"),
    ("float", 5, f'<number:number-style style:name="DP0">{TWO}</number:number-style><number:number-style '
                 f'style:name="D">{WHOLE}<style:map style:condition="value()&gt;=100" style:apply-style-name="DP0"/>'
                 '</number:number-style>', "5"),
    ("float", 5, '<number:number-style style:name="D"><style:map style:condition="value()&gt;=0" '
                 'style:apply-style-name="missing"/>' + WHOLE + '</number:number-style>', "5"),
    ("date", "2024-06-30", '<number:date-style style:name="D"><number:quarter/><number:text> </number:text>'
                           '<number:year number:style="long"/></number:date-style>', "2024-06-30"),
    ("date", "2024-06-30", '<number:date-style style:name="D" number:calendar="hijri"><number:day/>'
                           '<number:text> </number:text><number:month number:textual="true"/></number:date-style>',
     "2024-06-30"),
]


def one_cell_ods(path: Path, value_type: str, value, data_style: str) -> Path:
    cell_style = '<style:style style:name="ce1" style:family="table-cell" style:data-style-name="D"/>'
    currency = "CHF" if value_type == "currency" else ""
    row = f"<table:table-row>{sf.ods_value(value_type, value, 'ce1', 'as one locale shows it', currency)}</table:table-row>"
    return sf.write_ods(path, {"S": [row]}, automatic_styles=data_style + cell_style)


def shown(path: Path) -> str:
    return read_window(str(path), 1).rows[0][1][0]


@pytest.mark.parametrize("value_type, value, data_style, expected", SAME_AS_LIBREOFFICE + AS_GENERAL)
def test_each_kind_of_data_style(tmp_path, value_type, value, data_style, expected):
    assert shown(one_cell_ods(tmp_path / "cell.ods", value_type, value, data_style)) == expected


def test_a_damaged_styles_part_costs_the_formats_not_the_sheet(tmp_path):
    path = sf.ledger_ods(tmp_path / "ledger.ods")
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts["styles.xml"] = parts["styles.xml"][:300]  # cut inside its first tag
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    line = line_of(parse_file(str(path)), sf.LEDGER_KNOWN_ROW)
    assert line == ("Invoice: 2024-117 · Amount: 1,250.50 · Share: 12.50% · Net: 1033.47 EUR · Fee: 12.50 USD · "
                    "Due: 2024-06-30 · Raw: 1250.5 · Balance: -1250.5")  # content.xml's formats only


# -- LibreOffice as the reference, where it is installed ---------------------------------------------

def libreoffice(tmp_path: Path, target: str, files: list[Path]) -> Path:
    out = tmp_path / "converted"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", target, "--outdir", str(out), *map(str, files)],
                   check=True, capture_output=True, timeout=180)
    return out


# CSV "as shown" (token 9): each cell as LibreOffice displays it, in its en-US default locale.
AS_SHOWN_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_what_we_read(tmp_path):
    ledger = sf.ledger_ods(tmp_path / "ledger.ods")
    cells = [one_cell_ods(tmp_path / f"cell{i}.ods", *case[:3]) for i, case in enumerate(SAME_AS_LIBREOFFICE)]
    out = libreoffice(tmp_path, AS_SHOWN_CSV, [ledger, *cells])
    with (out / "ledger.csv").open(encoding="utf-8", newline="") as fh:
        assert [list(cells) for _, cells in read_window(str(ledger), 1).rows] == list(csv.reader(fh))
    for path in cells:
        with (out / f"{path.stem}.csv").open(encoding="utf-8", newline="") as fh:
            assert [shown(path)] == next(csv.reader(fh)), path.name


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_an_ods_saved_by_libreoffice_reads_as_its_cells_show(tmp_path):
    """A workbook LibreOffice converted from XLSX: its cell styles in content.xml name data styles
    it put in styles.xml; each typed cell reads as the text LibreOffice wrote for it."""
    book = openpyxl.Workbook()
    sheet = book.active
    formats = ["#,##0.00", "0.00%", "#,##0.00 [$€-407]", "[$$-409]#,##0.00", "d mmmm yyyy", None,
               "#,##0.00;[Red](#,##0.00)", "#,##0,", "#,##0.00;[Red]-#,##0.00"]
    values = [1250.5, 0.125, 1250.5, 1250.5, dt.datetime(2024, 6, 30), 1250.5, -1250.5, 1250000, -1250.5]
    sheet.append([f"Column {i}" for i in range(len(values))])
    sheet.append(values)
    for cell, fmt in zip(sheet[2], formats):
        cell.number_format = fmt or "General"
    book.save(tmp_path / "formats.xlsx")
    ods = libreoffice(tmp_path, "ods", [tmp_path / "formats.xlsx"]) / "formats.ods"
    with zipfile.ZipFile(ods) as zf:
        content = zf.read("content.xml").decode()
    libreoffice_shows = re.findall(r'<table:table-cell [^>]*office:value-type="(?!string)[^>]*><text:p>([^<]*)</text:p>',
                                   content)
    assert libreoffice_shows == ["1,250.50", "12.50%", "1,250.50 €", "$1,250.50", "30 June 2024", "1250.5",
                                 "(1,250.50)", "1,250", "-1,250.50"]
    assert list(read_window(str(ods), 1).rows[1][1]) == libreoffice_shows
