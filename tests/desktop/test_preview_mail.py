"""A mail citation (its page is a message number, not a rendered page) is shown as the mailbox's
parsed text with the passage marked, also when the passage comes from an attachment's PDF page."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from helpers import FILLER, synced
from tests.fixtures import mail_files as mf

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_a_passage_in_an_attachment_of_a_message_is_shown_in_the_mailbox_text(qtbot, pane, docs, tmp_path,
                                                                              make_archivist):
    box = mf.write_mbox(docs / "inbox.mbox", [mf.message("Lunch", f"{FILLER}\n\nNoon?"),
                                              mf.invoice_message(tmp_path)])
    archivist = synced(make_archivist, docs)
    hit = archivist.search("When is the Halvorsen invoice 7731 due?").hits[0]
    assert (hit.path, hit.page, hit.kind) == (str(box), 2, "mail")
    with qtbot.waitSignal(pane.rendered, timeout=20_000):
        pane.show_citation(asdict(hit))
    assert pane.highlighted_text == hit.text and mf.PDF_FACT in hit.text
    assert pane.current_page is None and pane.note == ""
    (selection,) = pane._text_view.extraSelections()
    assert selection.cursor.selectedText() == mf.PDF_FACT
    pane.grab().save("/tmp/mail-preview.png")
