"""The whole window, end to end: drop a folder, watch it index, ask (through the Ollama API stand-in,
a real SmolLM2), read the streamed answer with its sources, click one, see the page and the passage."""

import os

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from desktop.chat_sources import SourceCard
from helpers import FACTS, FILLER, make_pdf, write
from ollama_env import MODEL


def drop(widget, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = widget.rect().center()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:  # Qt 6.12 takes a QPointF (and deprecates QPoint); earlier versions only a QPoint
        enter = QDragEnterEvent(QPointF(centre), *args)
    except TypeError:
        enter = QDragEnterEvent(centre, *args)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_drop_index_ask_and_see_the_cited_passage_on_its_page(window, qtbot, docs):
    make_pdf(docs / "handbook.pdf", [FILLER * 3, FILLER + FACTS[0], FILLER * 2], toc=[(1, "Refunds", 2)])
    write(docs / "finance.md", f"# Finance\n\n{FACTS[1]}\n")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    index, answers = window.index, window.answers

    # The first sync to finish may be the catch-up one started when the index opened: wait for ours.
    with qtbot.waitSignal(index.sync_finished, timeout=120_000, check_params_cb=lambda f: f.files_done):
        assert drop(window, [docs])
    qtbot.waitUntil(lambda: window.folders.files_model.rowCount() == 3, timeout=10_000)
    assert "finance.md" in window.index_label.text() or "passages" in window.index_label.text()

    def statuses():
        model = window.folders.files_model
        return {model.record(r).path: model.record(r).status for r in range(model.rowCount())}
    # The files table is updated from batched events (a few a second): wait for the last of them.
    qtbot.waitUntil(lambda: statuses().get(str(docs / "broken.pdf")) == "failed"
                    and statuses().get(str(docs / "handbook.pdf")) == "indexed", timeout=60_000)

    answers.choose_engine("ollama", MODEL)
    tokens = []
    answers.token.connect(tokens.append)
    window.composer.set_text("How long is the refund window for Acme widgets?")
    with qtbot.waitSignal(answers.answer_finished, timeout=180_000) as finished:
        window.composer.submit()
        assert window.composer.is_busy()
    result = finished.args[0]
    assert result["engine"] == "ollama" and result["status"] == "complete" and "30" in result["text"]
    assert len(tokens) > 3 and "".join(tokens).strip().startswith(result["text"][:10])
    assert not window.composer.is_busy()
    answer = window.chat.answer_widget(result["message_id"])
    assert answer is not None and "30" in window.chat.answer_text(result["message_id"])

    cards = answer.findChildren(SourceCard)
    assert cards, "the answer lists its sources"
    first = cards[0]
    assert first.citation["path"] == str(docs / "handbook.pdf") and first.citation["page"] == 2
    qtbot.mouseClick(first, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.waitUntil(lambda: window.preview is not None and window.preview.current_page == 2, timeout=30_000)
    qtbot.waitUntil(lambda: bool(window.preview.highlight_rects), timeout=30_000)
    assert window.preview_slot.isVisible()

    # The conversation was saved, titled after the question, and can be reopened.
    qtbot.waitUntil(lambda: window.conversations.list.count() == 1, timeout=10_000)
    assert window.conversations.list.item(0).text().startswith("How long is the refund window")
    assert not any(name.startswith(".") or name.endswith(".archivist") for name in os.listdir(docs))
