"""The chat area: safe Markdown, clickable citations, throttled streaming, scroll following, actions."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDesktopServices, QGuiApplication, QTextCursor, QTextDocument

from desktop.chat_answer import AnswerWidget
from desktop.chat_view import RENDER_INTERVAL_MS, ChatView
from desktop.ideal_dialog import IdealDialog


def citation(n: int, name: str, page=None, heading="") -> dict:
    return {"n": n, "path": f"/docs/{name}", "page": page, "heading": heading, "start": 0, "end": 40,
            "snippet": f"Passage from {name}.", "score": 0.03, "inferred": False}


CITATIONS = [citation(1, "report.pdf", 3, "Findings"), citation(2, "notes.md", None, "Budget")]


def fragments(document: QTextDocument):
    block = document.begin()
    while block.isValid():
        for span in block.textFormats():
            yield block.position() + span.start, span.length, span.format
        block = block.next()


def point_of(body, position: int) -> QPoint:
    cursor = QTextCursor(body.document())
    cursor.setPosition(position)
    rect = body.cursorRect(cursor)
    return QPoint(rect.right() + 3, rect.center().y())


def click_text(qtbot, body, needle: str) -> None:
    position = body.document().toPlainText().index(needle)
    qtbot.mouseClick(body.viewport(), Qt.MouseButton.LeftButton, pos=point_of(body, position))


# -- streaming --------------------------------------------------------------------------------

def test_streaming_renders_far_fewer_times_than_pieces(qtbot, view):
    handle = view.begin_answer()
    pieces = [f"word{i} " for i in range(1000)]
    started = time.perf_counter()
    for i, piece in enumerate(pieces):
        handle.append(piece)
        if i % 10 == 0:
            qtbot.wait(5)  # lets the timer fire, as a real stream would between tokens
    elapsed_ms = (time.perf_counter() - started) * 1000
    streamed_renders = handle.render_count
    assert 2 <= streamed_renders <= elapsed_ms / RENDER_INTERVAL_MS + 2
    assert streamed_renders < len(pieces) / 4
    joined = "".join(pieces)
    assert handle.text == joined
    handle.finish("m1", joined, [], "complete", "ollama", "llama3.2:3b")
    assert handle.render_count == streamed_renders + 1
    assert handle.widget.body.document().toPlainText() == joined.strip()


def test_pieces_arriving_faster_than_the_interval_wait_for_the_timer(qtbot, view):
    handle = view.begin_answer()
    for piece in ("Hel", "lo ", "there"):
        handle.append(piece)
    assert handle.render_count == 0  # nothing rendered per token
    qtbot.waitUntil(lambda: handle.render_count == 1, timeout=1000)
    assert handle.widget.body.document().toPlainText() == "Hello there"


def test_pieces_after_clear_are_dropped(qtbot, view):
    handle = view.begin_answer()
    handle.append("partial")
    view.clear()
    handle.append(" more")
    handle.finish("m1", "partial more", [], "complete", "ollama", "m")
    qtbot.wait(RENDER_INTERVAL_MS * 2)
    assert view.messages() == []


# -- safety: no HTML, no images, no live links ------------------------------------------------

def test_raw_html_in_an_answer_is_literal_text(view):
    text = 'Hello <b>bold</b> <img src=x onerror=alert(1)> <script>alert(1)</script> done'
    widget = view.add_answer("m1", text, [], "complete", "ollama", "m")
    document = widget.body.document()
    plain = document.toPlainText()
    for literal in ("<b>bold</b>", "<img src=x onerror=alert(1)>", "<script>alert(1)</script>"):
        assert literal in plain
    assert "\ufffc" not in plain  # no embedded object (image)
    for _start, _length, char_format in fragments(document):
        assert not char_format.isImageFormat()
        assert char_format.fontWeight() <= 400


def test_markdown_images_become_their_alt_text(view):
    widget = view.add_answer("m1", "See ![the chart](file:///etc/passwd) here.", [], "complete", "ollama", "m")
    document = widget.body.document()
    assert document.toPlainText() == "See the chart here."
    assert not any(f.isImageFormat() for _s, _l, f in fragments(document))


def test_a_markdown_link_is_not_clickable(qtbot, view, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    text = "Read [the vendor page](http://evil.example/x) or <http://auto.example> [1]."
    widget = view.add_answer("m1", text, CITATIONS[:1], "complete", "ollama", "m")
    body = widget.body
    qtbot.wait(10)
    hrefs = [f.anchorHref() for _s, _l, f in fragments(body.document()) if f.isAnchor() or f.anchorHref()]
    assert hrefs == ["cite:1"]
    assert "the vendor page" in body.document().toPlainText()
    assert body.anchorAt(point_of(body, body.document().toPlainText().index("vendor"))) == ""
    with qtbot.assertNotEmitted(view.citation_clicked):
        click_text(qtbot, body, "vendor")
        click_text(qtbot, body, "auto.example")
    assert opened == []
    assert body.source().isEmpty()  # nothing was navigated to


def test_clicking_a_citation_marker_emits_that_citation(qtbot, view):
    widget = view.add_answer("m1", "Seals wear out [1] and switches pay back [2].", CITATIONS,
                             "complete", "ollama", "m")
    qtbot.wait(10)
    body = widget.body
    position = body.document().toPlainText().index("[2]") + 1
    with qtbot.waitSignal(view.citation_clicked) as signal:
        qtbot.mouseClick(body.viewport(), Qt.MouseButton.LeftButton, pos=point_of(body, position))
    assert signal.args == [CITATIONS[1]]


def test_markers_without_a_known_source_stay_plain(view):
    widget = view.add_answer("m1", "Claimed [1] and [7].", CITATIONS[:1], "complete", "ollama", "m")
    hrefs = [f.anchorHref() for _s, _l, f in fragments(widget.body.document()) if f.isAnchor()]
    assert hrefs == ["cite:1"]


def test_clicking_a_source_card_emits_its_citation(qtbot, view):
    widget = view.add_answer("m1", "Text [1][2].", CITATIONS, "complete", "ollama", "m")
    cards = widget.sources.cards
    assert [c.citation for c in cards] == CITATIONS
    with qtbot.waitSignal(view.citation_clicked) as signal:
        qtbot.mouseClick(cards[0], Qt.MouseButton.LeftButton)
    assert signal.args == [CITATIONS[0]]
    with qtbot.waitSignal(view.trace_requested) as signal:
        widget.sources.trace_link.linkActivated.emit("trace")
    assert signal.args == ["m1"]


# -- what an answer shows ---------------------------------------------------------------------

@pytest.mark.parametrize("status, shown", [("stopped", "Stopped"), ("interrupted", "connection"),
                                           ("refused", "Not found in your documents")])
def test_an_incomplete_answer_says_why_and_keeps_its_text(view, status, shown):
    widget = view.add_answer("m1", "Partial text", [], status, "ollama", "llama3.2:3b")
    assert widget.status_label.isVisibleTo(widget)
    assert shown.lower() in widget.status_label.text().lower()
    assert widget.body.document().toPlainText() == "Partial text"


def test_a_complete_answer_shows_engine_and_model_and_no_status(view):
    widget = view.add_answer("m1", "Fine [1].", CITATIONS[:1], "complete", "ollama", "llama3.2:3b")
    assert not widget.status_label.isVisibleTo(widget)
    assert "Ollama" in widget.meta_label.text() and "llama3.2:3b" in widget.meta_label.text()


def test_a_refused_answer_lists_the_nearest_passages_as_such(view):
    widget = view.add_answer("m1", "I could not find this in your documents.", CITATIONS, "refused", "ollama", "m")
    assert widget.sources.heading.text().startswith("Nearest passages")
    assert len(widget.sources.cards) == 2


def test_an_answer_that_failed_before_it_was_saved_keeps_its_text_but_offers_no_rating(qtbot, view):
    handle = view.begin_answer()
    handle.append("Half an ans")
    handle.finish("", "", [], "interrupted", "", "")
    widget = handle.widget
    assert widget.status_label.isVisibleTo(widget)
    assert widget.body.document().toPlainText() == "Half an ans"
    assert widget.copy_button.isVisibleTo(widget)
    for button in (widget.regenerate_button, widget.up_button, widget.down_button, widget.ideal_button):
        assert not button.isVisibleTo(widget)


# -- following the end while streaming --------------------------------------------------------

def fill(view: ChatView, qtbot) -> None:
    for i in range(6):
        view.add_user(f"Question {i}?")
        view.add_answer(f"a{i}", "A paragraph of answer text. " * 20, [], "complete", "ollama", "m")
    qtbot.wait(50)


def stream_lines(handle, qtbot, count: int) -> None:
    for i in range(count):
        handle.append(f"Line {i} of a long streamed answer that keeps going.\n\n")
        qtbot.wait(RENDER_INTERVAL_MS // 2)
    qtbot.wait(RENDER_INTERVAL_MS * 3)


def test_the_view_follows_new_text_when_at_the_bottom(qtbot, view):
    fill(view, qtbot)
    handle = view.begin_answer()
    view.scroll_to_bottom()
    bar = view.verticalScrollBar()
    before = bar.maximum()
    stream_lines(handle, qtbot, 20)
    assert bar.maximum() > before
    assert bar.value() == bar.maximum()


def test_the_view_keeps_the_readers_place_when_scrolled_up(qtbot, view):
    fill(view, qtbot)
    handle = view.begin_answer()
    stream_lines(handle, qtbot, 2)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 3)  # the reader goes back up to read
    kept = bar.value()
    before = bar.maximum()
    stream_lines(handle, qtbot, 20)
    assert bar.maximum() > before
    assert bar.value() == kept


# -- actions ----------------------------------------------------------------------------------

def test_a_source_whose_name_is_not_utf8_shows_it_as_text_and_keeps_the_real_path(qtbot, view):
    import os

    from PySide6.QtWidgets import QLabel

    odd = dict(citation(1, "x", 2), path=os.fsdecode(b"/docs/caf\xe9.pdf"))
    widget = view.add_answer("m1", "Text [1].", [odd], "complete", "ollama", "m")
    (card,) = widget.sources.cards
    assert "caf\ufffd.pdf" in [label.text() for label in card.findChildren(QLabel)]  # Qt would drop the byte
    assert card.accessibleName() == "Source 1: caf\ufffd.pdf, p. 2" and card.citation["path"] == odd["path"]
    qtbot.mouseClick(widget.copy_button, Qt.MouseButton.LeftButton)
    assert "[1] /docs/caf\ufffd.pdf, p. 2" in QGuiApplication.clipboard().text()


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(qtbot, view):
    widget = view.add_answer("m1", "Seals wear out **fast** [1].", CITATIONS[:1], "complete", "ollama", "m")
    qtbot.mouseClick(widget.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Seals wear out **fast** [1].")
    assert "Sources:" in copied and "[1] /docs/report.pdf, p. 3 (Findings)" in copied


def test_rating_emits_and_shows_as_toggled(qtbot, view):
    widget = view.add_answer("m1", "Answer.", [], "complete", "ollama", "m")
    with qtbot.waitSignal(view.rated) as signal:
        qtbot.mouseClick(widget.up_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["m1", 1]
    assert widget.up_button.isChecked() and not widget.down_button.isChecked()
    with qtbot.waitSignal(view.rated) as signal:
        qtbot.mouseClick(widget.down_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["m1", -1]
    assert widget.down_button.isChecked() and not widget.up_button.isChecked()
    with qtbot.assertNotEmitted(view.rated):
        qtbot.mouseClick(widget.down_button, Qt.MouseButton.LeftButton)
    assert widget.down_button.isChecked()


def test_regenerate_and_ideal_answer_signals(qtbot, view):
    widget = view.add_answer("m1", "Answer.", [], "complete", "ollama", "m")
    with qtbot.waitSignal(view.regenerate_requested) as signal:
        qtbot.mouseClick(widget.regenerate_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["m1"]
    with qtbot.waitSignal(view.ideal_requested) as signal:
        qtbot.mouseClick(widget.ideal_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["m1"]


def test_every_action_button_has_an_accessible_name_and_tooltip(view):
    widget = view.add_answer("m1", "Answer [1].", CITATIONS[:1], "complete", "ollama", "m")
    for button in (widget.copy_button, widget.regenerate_button, widget.up_button, widget.down_button,
                   widget.ideal_button):
        assert button.accessibleName() and button.toolTip()


def test_regenerating_replaces_the_answer_in_place(qtbot, view):
    view.add_user("Q?", "u1")
    view.add_answer("m1", "First.", [], "complete", "ollama", "m")
    view.add_user("Next?", "u2")
    handle = view.begin_answer(replace="m1")
    handle.finish("m2", "Second.", [], "complete", "ollama", "m")
    qtbot.wait(10)
    kinds = [type(w).__name__ for w in view.messages()]
    assert kinds == ["UserMessage", "AnswerWidget", "UserMessage"]
    assert view.answer_widget("m1") is None and view.answer_text("m2") == "Second."


def test_loaded_rating_is_shown_without_emitting(qtbot, view):
    view.add_answer("m1", "Answer.", [], "complete", "ollama", "m")
    with qtbot.assertNotEmitted(view.rated):
        view.set_rating("m1", -1)
    widget = view.answer_widget("m1")
    assert isinstance(widget, AnswerWidget) and widget.down_button.isChecked()


# -- the ideal answer dialog --------------------------------------------------------------------

# The offscreen platform warns whenever a window's size constraints are set, as a dialog's layout
# does; on a real desktop they simply go to the window manager.
offscreen_size_hints = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@offscreen_size_hints
def test_ideal_answer_dialog_is_prefilled_and_emits_saved(qtbot):
    dialog = IdealDialog("m1", "The model's answer.", question="What changed?")
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.isVisible()
    assert dialog.editor.toPlainText() == "The model's answer."
    dialog.editor.setPlainText("  The better answer.  ")
    with qtbot.waitSignal(dialog.saved) as signal:
        dialog.save_button.click()
    assert signal.args == ["m1", "The better answer."]


@offscreen_size_hints
def test_ideal_answer_dialog_will_not_save_an_empty_answer(qtbot):
    dialog = IdealDialog("m1", "")
    qtbot.addWidget(dialog)
    dialog.open()
    assert not dialog.save_button.isEnabled()
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.buttons.accepted.emit()
