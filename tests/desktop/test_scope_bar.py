"""The chat's scope: a folder, file types, mail from or to someone and sent between two days, chosen
beside the question box and shown there until cleared. Every question and regenerate is asked under
it, the saved answer says so, a refusal names it. Real widgets; the window test indexes a real
mailbox and answers through the Ollama API stand-in (a real SmolLM2)."""

from __future__ import annotations

import os
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialogButtonBox

from core.search import Filters
from desktop.scope_bar import ScopeBar
from desktop.trace_dialog import TraceDialog
from helpers import FILLER, write
from ollama_env import MODEL
from tests.fixtures import mail_files as mf

QUESTION = "When is the Halvorsen invoice 7731 due?"
ANNA = "Anna Berg <anna@example.org>"
BOB = "Bob Lind <bob@example.org>"


@pytest.fixture
def bar(qtbot, docs):
    widget = ScopeBar()
    qtbot.addWidget(widget)
    widget.resize(600, 40)
    widget.show()
    qtbot.waitExposed(widget)
    (docs / "2024" / "letters").mkdir(parents=True)
    widget.sources = [str(docs)]
    widget.set_files([_record(docs / "a.pdf", "pdf"), _record(docs / "box.mbox", "mail"),
                      _record(docs / "t.xlsx", "sheet"), _record(docs / "bad.pdf", "pdf", status="failed")])
    return widget


def _record(path, kind, status="indexed"):
    from core.manifest import FileRecord

    return FileRecord(str(path), "", 1, 1, "h", status, "", kind, 1 if status == "indexed" else 0, None, 0, None, 0.0)


def opened(qtbot, bar):
    bar.open_dialog()
    qtbot.waitExposed(bar.dialog)
    return bar.dialog


def apply(dialog):
    next(b for b in dialog.findChildren(QDialogButtonBox)[0].buttons() if b.text() == "Apply").click()


def tick(dialog, *names):
    for row in range(dialog.types.count()):
        item = dialog.types.item(row)
        if item.text() in names:
            item.setCheckState(Qt.CheckState.Checked)


def test_the_popup_builds_the_filters_and_the_bar_shows_them_until_cleared(qtbot, bar, docs):
    assert bar.button.text() == "All documents ▾" and bar.clear_button.isHidden()
    dialog = opened(qtbot, bar)
    # The types there are, by the names users know; a file that failed offers nothing to search.
    assert [dialog.types.item(r).text() for r in range(dialog.types.count())] == ["Mail", "PDF", "Spreadsheets"]
    assert [dialog.folder_box.itemText(i) for i in range(dialog.folder_box.count())] == ["All folders", str(docs)]
    assert not dialog.set_folder("/somewhere/else")  # nothing there is indexed
    assert "not inside a folder Archivist reads" in dialog.problem.text() and dialog.problem.isVisibleTo(dialog)
    assert dialog.set_folder(str(docs / "2024")) and dialog.folder_box.currentText() == str(docs / "2024")
    tick(dialog, "Mail")
    dialog.sender.setText("  anna ")
    dialog.recipient.setText("bob")
    dialog.after_on.setChecked(True)
    dialog.after_date.setDate(QDate(2024, 3, 1))
    dialog.before_on.setChecked(True)
    dialog.before_date.setDate(QDate(2024, 3, 31))
    expected = Filters(folder=str(docs / "2024"), kinds=("mail",), sender="anna", recipient="bob",
                       after=date(2024, 3, 1), before=date(2024, 3, 31))
    with qtbot.waitSignal(bar.changed) as changed:
        apply(dialog)
    assert changed.args == [expected] and bar.filters == expected and not dialog.isVisible()
    assert bar.button.text() == "Mail from anna to bob · since 1 Mar 2024 · until 31 Mar 2024 · in 2024 ▾"
    assert bar.button.font().bold() and bar.clear_button.isVisible()
    assert str(docs / "2024") in bar.button.toolTip()  # the whole path on hover

    again = opened(qtbot, bar)  # opens on the scope in force
    assert again.filters() == expected
    again.reset()
    tick(again, "PDF", "Spreadsheets")
    with qtbot.waitSignal(bar.changed) as changed:
        apply(again)
    assert changed.args == [Filters(kinds=("pdf", "sheet"))] and bar.button.text() == "PDF, Spreadsheets ▾"

    with qtbot.waitSignal(bar.changed) as cleared:
        qtbot.mouseClick(bar.clear_button, Qt.MouseButton.LeftButton)
    assert cleared.args == [Filters()] and bar.button.text() == "All documents ▾" and bar.clear_button.isHidden()


def test_a_date_range_the_wrong_way_round_is_refused_with_the_reason(qtbot, bar):
    dialog = opened(qtbot, bar)
    dialog.sender.setText("anna")
    dialog.after_on.setChecked(True)
    dialog.after_date.setDate(QDate(2024, 3, 5))
    dialog.before_on.setChecked(True)
    dialog.before_date.setDate(QDate(2024, 3, 1))
    with qtbot.assertNotEmitted(bar.changed):
        apply(dialog)
    assert dialog.isVisible() and bar.filters == Filters()  # nothing changed; the dialog says why
    assert dialog.problem.isVisibleTo(dialog) and dialog.problem.text() == (
        "“Sent on or after” (5 Mar 2024) is later than “Sent on or before” (1 Mar 2024): no message could "
        "match. Change one of the dates.")
    dialog.before_on.setChecked(False)  # "any" day: the range is open again
    with qtbot.waitSignal(bar.changed) as changed:
        apply(dialog)
    assert changed.args == [Filters(sender="anna", after=date(2024, 3, 5))]


def test_mail_fields_with_mail_unticked_are_refused(qtbot, bar):
    dialog = opened(qtbot, bar)
    tick(dialog, "PDF")
    dialog.sender.setText("anna")
    with qtbot.assertNotEmitted(bar.changed):
        apply(dialog)
    assert "only match mail" in dialog.problem.text() and dialog.isVisible()
    tick(dialog, "Mail")  # mail and PDF ticked: the mail fields make it mail only
    with qtbot.waitSignal(bar.changed):
        apply(dialog)
    assert bar.button.text() == "Mail from anna ▾"


# -- in the window, over a real mailbox -----------------------------------------------------------

def mailbox(docs):
    """Anna's and Bob's messages state the same invoice, each with its own due day."""
    def message(subject, body, sender, day):
        return mf.message(subject, body, sender=sender, to="Accounts <accounts@example.com>", day=day)
    return mf.write_mbox(docs / "accounts.mbox", [
        message("Invoice 7731", f"{FILLER}\n\nThe Halvorsen invoice 7731 is due on 14 March.", ANNA, 4),
        message("Re: Invoice 7731", f"{FILLER}\n\nThe Halvorsen invoice 7731 is due on 2 April.", BOB, 6),
        message("Lunch", "Shall we meet at noon on Friday?", ANNA, 7),
    ])


def ask(window, qtbot, question: str) -> tuple[dict, list]:
    seen = []
    window.answers.sources_found.connect(lambda sources, trace: seen.append(sources))
    window.composer.set_text(question)
    with qtbot.waitSignal(window.answers.answer_finished, timeout=180_000) as finished:
        window.composer.submit()
    window.answers.sources_found.disconnect()
    return finished.args[0], seen[0]


def pages(items) -> set:
    return {(os.path.basename(c["path"]), c["page"]) for c in items}


def test_a_question_asked_under_from_anna_cites_only_annas_messages(window, qtbot, docs):
    box = mailbox(docs)
    write(docs / "notes.md", "# Notes\n\nThe Halvorsen invoice 7731 is due on 30 June.\n")
    with qtbot.waitSignal(window.index.sync_finished, timeout=120_000, check_params_cb=lambda f: f.files_done):
        window.add_paths([str(docs)])
    window.answers.choose_engine("ollama", MODEL)
    scope = window.composer.scope
    qtbot.waitUntil(lambda: "mail" in scope.kinds() and scope.sources == [str(docs)], timeout=30_000)
    dialog = opened(qtbot, scope)
    dialog.sender.setText("anna")
    apply(dialog)
    assert window.answers.filters == Filters(sender="anna") and scope.button.text() == "Mail from anna ▾"

    first, sources = ask(window, qtbot, QUESTION)
    assert first["status"] == "complete", first
    assert pages(sources) <= {("accounts.mbox", 1), ("accounts.mbox", 3)} and ("accounts.mbox", 1) in pages(sources)
    # Anna's messages, not Bob's. The small test model words the day its own way ("14 March",
    # "March 14, 2024") and may borrow a word from her other message, which is then cited too.
    annas = {("accounts.mbox", 1), ("accounts.mbox", 3)}
    cited = pages(first["citations"])
    assert ("accounts.mbox", 1) in cited and cited <= annas, first
    assert "14" in first["text"] and "March" in first["text"] and "April" not in first["text"], first["text"]
    # The saved answer says what it was narrowed to, and "Why these sources?" shows it.
    saved = window.answers.store.get(first["conversation_id"]).messages[-1].trace
    assert saved["filters"] == {"sender": "anna"}
    assert TraceDialog._summary(saved).startswith("Searched only: Mail from anna\n")

    # Regenerate keeps asking under the scope.
    with qtbot.waitSignal(window.answers.answer_finished, timeout=180_000) as again:
        window.chat.regenerate_requested.emit(first["message_id"])
    assert again.args[0]["trace"]["filters"] == {"sender": "anna"}
    assert pages(again.args[0]["citations"]) <= annas

    # Nothing under the scope: the refusal says where it looked, and the nearest is nothing.
    dialog = opened(qtbot, scope)
    dialog.sender.setText("carla")
    apply(dialog)
    refused, sources = ask(window, qtbot, QUESTION)
    assert refused["status"] == "refused" and sources == [] and refused["text"] == (
        "I could not find this in your documents (searched only: Mail from carla).")

    # Cleared, the question is asked over everything again: Bob's message and the note come back.
    qtbot.mouseClick(scope.clear_button, Qt.MouseButton.LeftButton)
    assert window.answers.filters == Filters() and scope.button.text() == "All documents ▾"
    everything, sources = ask(window, qtbot, QUESTION)
    assert {("accounts.mbox", 2), ("notes.md", None)} <= pages(sources)
    assert everything["trace"]["filters"] == {} and not TraceDialog._summary(everything["trace"]).startswith("Searched only")
    assert box.exists()
