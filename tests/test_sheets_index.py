"""Spreadsheets through the whole index (real parser processes, real model, real LanceDB): a known
value in a row is found by search and cited on its sheet and rows; bad workbooks get their
reasons without stopping the rest; a huge sheet is read in bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from core.cli_evidence import source_line
from core.manifest import INDEXED, PENDING, SKIPPED
from core.parsing.formats import READER_VERSIONS
from tests.fixtures import bad_files as bf
from tests.fixtures import sheet_files as sf

ROOT = Path(__file__).resolve().parents[1]


def top_hit(archivist, query: str):
    hits = archivist.search(query).hits
    assert hits, f"nothing found for {query!r}"
    return hits[0]


def test_a_row_is_found_and_cited_on_its_sheet_and_rows(docs, make_archivist):
    sf.invoices_xlsx(docs / "invoices.xlsx")
    sf.stock_ods(docs / "stock.ods")
    sf.cp1252_semicolon_csv(docs / "kunden.csv")
    sf.legacy_xls(docs / "budget.xls")
    archivist = make_archivist()
    archivist.add_source(docs)
    assert archivist.sync().failed == 0
    assert {os.path.basename(r.path): (r.status, r.kind) for r in archivist.files()} == {
        name: (INDEXED, "sheet") for name in ("invoices.xlsx", "stock.ods", "kunden.csv", "budget.xls")}

    hit = top_hit(archivist, "Globex Corporation invoice 2024-117 amount")
    assert hit.path.endswith("invoices.xlsx") and (hit.kind, hit.page) == ("sheet", 2)
    assert sf.KNOWN_LINE in hit.text
    first, last = (int(n) for n in hit.heading.removeprefix("Invoices > rows ").split("–"))
    assert first <= sf.KNOWN_ROW_NUMBER <= last
    assert source_line(1, hit).startswith(f"[1] {hit.path} (sheet 2) · Invoices > rows {first}–{last}")

    hit = top_hit(archivist, "Brass valve DN20 in the Ostrava warehouse")
    assert hit.path.endswith("stock.ods") and (hit.page, hit.heading) == (1, "Stock > rows 1–6")
    hit = top_hit(archivist, "Müller GmbH Hauptstraße")
    assert hit.path.endswith("kunden.csv") and "Betrag: 1.250,00 €" in hit.text
    hit = top_hit(archivist, "Research department budget")
    assert hit.path.endswith("budget.xls") and "Budget: 48,250.50" in hit.text


def test_a_value_is_found_as_libreoffice_shows_it_and_read_again_after_the_upgrade(docs, make_archivist):
    """ODS cells follow their number formats: "1,250.50" finds the row that shows it, cited on its
    sheet and rows; an index made before reads its .ods files again once."""
    sf.ledger_ods(docs / "ledger.ods")
    sf.invoices_xlsx(docs / "invoices.xlsx")  # its rows show "1,250.00", "30 June"
    archivist = make_archivist()
    archivist.add_source(docs)
    assert archivist.sync().failed == 0
    hit = top_hit(archivist, "1,250.50")
    assert hit.path.endswith("ledger.ods") and sf.LEDGER_KNOWN_LINE in hit.text.split("\n")
    first, last = (int(n) for n in hit.heading.removeprefix("Ledger > rows ").split("–"))
    assert first <= sf.LEDGER_KNOWN_ROW <= last
    assert source_line(1, hit).startswith(f"[1] {hit.path} (sheet 1) · Ledger > rows {first}–{last}")

    older = {kind: version for kind, version in READER_VERSIONS.items() if kind != "sheet"}
    archivist.manifest.set_meta("reader_versions", json.dumps(older))  # as an index made before
    archivist.close()
    reopened = make_archivist()
    assert reopened.manifest.get(str(docs / "ledger.ods")).status == PENDING
    reopened.sync()
    assert reopened.manifest.get(str(docs / "ledger.ods")).status == INDEXED
    reopened.close()


def test_bad_workbooks_get_reasons_and_stop_nothing(docs, make_archivist):
    sf.invoices_xlsx(docs / "good.xlsx")
    encrypted = Path(bf.ole2_renamed(docs, "salaries.xlsx"))
    with encrypted.open("ab") as fh:
        fh.write("EncryptedPackage".encode("utf-16-le"))
    good = (docs / "good.xlsx").read_bytes()
    (docs / "cut.xlsx").write_bytes(good[: len(good) // 2])
    openpyxl.Workbook().save(docs / "empty.xlsx")
    sf.write_ods(docs / "secret.ods", {"S": [sf.ods_row("x")]}, encrypted=True)
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    records = {os.path.basename(r.path): (r.status, r.reason) for r in archivist.files()}
    assert records["good.xlsx"][0] == INDEXED
    assert records["salaries.xlsx"] == (SKIPPED, "encrypted: needs a password")
    assert records["secret.ods"] == (SKIPPED, "encrypted: needs a password")
    assert records["empty.xlsx"] == (SKIPPED, "no text content")
    assert records["cut.xlsx"][0] == "failed" and "damaged ZIP container" in records["cut.xlsx"][1]
    assert any(sf.KNOWN_LINE in h.text for h in archivist.search("Globex Corporation 2024-117").hits)


def test_workbooks_skipped_as_unsupported_are_read_once_they_are_supported(docs, make_archivist):
    """An index made when .xlsx was "unsupported file type" reads them after the upgrade, though
    the files did not change (here: the extensions setting stands in for the older version)."""
    sf.invoices_xlsx(docs / "invoices.xlsx")
    (docs / "notes.md").write_text("# Notes\n\nThe audit starts in March.\n")
    older = make_archivist(extensions=[".md"])
    older.add_source(docs)
    older.sync()
    assert older.manifest.get(str(docs / "invoices.xlsx")).reason == "unsupported file type (.xlsx)"
    older.close()
    newer = make_archivist()
    newer.sync()
    assert newer.manifest.get(str(docs / "invoices.xlsx")).status == INDEXED
    assert any(sf.KNOWN_LINE in h.text for h in newer.search("Globex Corporation 2024-117").hits)


def test_a_section_of_rows_is_one_passage(tmp_path, embedder):
    """Sections are cut by an estimate of word pieces; the model's own tokenizer never needs to
    split one (numbers, codes and non-ASCII text are the costly cases)."""
    from core.chunking import Chunker
    from core.parsing import parse_file

    wide = openpyxl.Workbook()
    sheet = wide.active
    sheet.append([f"Column {c}" for c in range(10)])
    for i in range(60):
        sheet.append([f"ID-{i:05d}-{c}" if c % 3 else ["Ostrava", "Zürich", "Москва", "東京"][(i + c) % 4] * (1 + i % 3)
                      for c in range(8)] + [i * 1234.5678, f"0x{i * 7919:08x}"])
    wide.save(tmp_path / "wide.xlsx")
    chunker = Chunker(embedder.count_tokens, embedder.token_offsets, embedder.max_tokens)
    for path in (sf.invoices_xlsx(tmp_path / "invoices.xlsx"), sf.stock_ods(tmp_path / "stock.ods"),
                 tmp_path / "wide.xlsx"):
        doc = parse_file(str(path))
        chunks = chunker.chunk_document(doc)
        assert [(c.text, c.heading) for c in chunks] == [(s.text, s.heading) for s in doc.sections], path


# Peak resident memory of the parse alone: /proc's high-water mark, reset once the libraries are
# loaded (ru_maxrss would carry the pytest process's own peak, inherited through fork).
MEASURE = """
import json, sys, time
from core.parsing import parse_file

def high_water_mb():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM")) / 1024

parse_file(sys.argv[2])  # the libraries loaded, as in a parser worker
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # reset the high-water mark to what is resident now
before = high_water_mb()
t = time.perf_counter()
doc = parse_file(sys.argv[1])
seconds = time.perf_counter() - t
print(json.dumps({"before_mb": round(before), "peak_mb": round(high_water_mb()), "seconds": round(seconds, 1),
                  "sections": len(doc.sections), "last": doc.sections[-1].heading}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="measures with Linux's /proc")
@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv"])
def test_a_sheet_of_200k_rows_is_read_in_bounded_memory(tmp_path, fmt):
    rows = 200_000
    if fmt == "xlsx":
        path = sf.big_xlsx(tmp_path / "ledger.xlsx", rows)
    elif fmt == "csv":
        path = tmp_path / "ledger.csv"
        path.write_text("Entry;Account;Amount;Memo\n" + "".join(
            f"E{i:06d};ACC-{i % 97:03d};{i * 1.25};ledger memo for entry {i}\n" for i in range(1, rows)))
    else:
        body = [sf.ods_row(f"E{i:06d}", f"ACC-{i % 97:03d}", i * 1.25, f"ledger memo for entry {i}")
                for i in range(1, rows)]
        path = sf.write_ods(tmp_path / "ledger.ods", {"Ledger": [sf.ods_row("Entry", "Account", "Amount", "Memo")] + body})
    small = sf.tab_separated(tmp_path / "small.tsv")
    run = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(small)], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600, check=True)
    figures = json.loads(run.stdout)
    print(fmt, path.stat().st_size // 2**20, "MB file:", figures)
    assert figures["last"][1].endswith(f"–{rows}") and figures["last"][0] in ("Ledger", "ledger")
    # The Sections of 200k rows hold ~20 MB of text (~70 MB as Python objects); the rows themselves
    # are never all held (a CSV's decoded text is: it is bounded by max_bytes).
    assert figures["peak_mb"] - figures["before_mb"] < 250, figures
