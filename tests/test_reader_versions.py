"""When a reader improves (READER_VERSIONS), files it read before are read again once: an index
made before PDF ligatures were expanded must not keep "ﬁnal" until each file changes."""

import json

from core.manifest import INDEXED, PENDING
from core.parsing.formats import READER_VERSIONS
from helpers import make_pdf, write

TEXT = "The final office inspection of the east wing is scheduled for the ninth of October."


def test_files_read_by_an_older_reader_are_read_again_once(docs, make_archivist, data_dir):
    make_pdf(docs / "report.pdf", [TEXT])
    write(docs / "notes.md", "# Notes\n\nThe garden shed needs a new roof before winter.\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    assert json.loads(archivist.manifest.get_meta("reader_versions")) == dict(READER_VERSIONS)
    archivist.manifest.set_meta("reader_versions", json.dumps({"pdf": 1}))  # as an index made before
    archivist.close()

    reopened = make_archivist()
    pdf, notes = reopened.manifest.get(str(docs / "report.pdf")), reopened.manifest.get(str(docs / "notes.md"))
    assert pdf.status == PENDING and "reads this kind of file better" in pdf.reason
    assert notes.status == INDEXED  # its reader did not change
    reopened.sync()
    assert reopened.manifest.get(str(docs / "report.pdf")).status == INDEXED
    assert any("final office" in h.text for h in reopened.search("final office inspection", k=3).hits)
    reopened.close()

    assert make_archivist().manifest.get(str(docs / "report.pdf")).status == INDEXED  # once, not every start
