"""The main window's dialogs: export a conversation, "why these sources?", write the ideal answer,
the House style page.

Each opens without a nested event loop; what it needs from the core is read on a worker first.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog


class WindowDialogs:
    """Mixed into MainWindow (uses its answers, index, notice and last_sources)."""

    style_backend = None  # made on the first opening of the House style page; lives with the window
    style_page = None

    def open_house_style(self) -> None:
        from desktop.style_backend import StyleBackend
        from desktop.style_page import HouseStylePage

        if self.style_backend is None:
            self.style_backend = StyleBackend(self.index.tasks, self.index, self.answers, self)
        if self.style_page is None:
            self.style_page = HouseStylePage(self.style_backend, self)
        self.style_page.refresh()
        if self.style_page.isVisible():  # open behind the main window: bring it forward
            self.style_page.raise_()
            self.style_page.activateWindow()
        else:
            self.style_page.show()

    def close_house_style(self) -> None:
        """Quitting: a training run stops at its next step, with a checkpoint to resume from."""
        if self.style_backend is not None:
            self.style_backend.close()

    def _export(self, conversation_id: str, fmt: str) -> None:
        suffix = ".md" if fmt == "markdown" else ".json"
        dialog = QFileDialog(self, "Export conversation")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffix.lstrip("."))
        dialog.selectFile(f"conversation{suffix}")
        dialog.fileSelected.connect(lambda path: self.answers.export(
            conversation_id, path, fmt, lambda p: self.notice.show_message(f"Saved {p}", seconds=6)))
        dialog.open()

    def _show_trace(self, message_id: str) -> None:
        from desktop.trace_dialog import TraceDialog

        def show(conversation):
            message = next((m for m in conversation.messages if m.id == message_id), None) if conversation else None
            trace = (message.trace if message else None) or {}
            TraceDialog(trace, self.last_sources.get(message_id) or (message.citations if message else []),
                        self).show()
        self.index.tasks.run(lambda: self.answers.store.get(self.conversation_id), show, "reading the trace")

    def _write_ideal(self, message_id: str) -> None:
        from desktop.ideal_dialog import IdealDialog

        def open_dialog(exchange):
            _question, answer = exchange
            dialog = IdealDialog(message_id, answer.content, self)
            dialog.saved.connect(lambda mid, text: self.answers.set_ideal(
                mid, text, on_done=lambda _: self.notice.show_message("Ideal answer saved for training.",
                                                                      seconds=4)))
            dialog.open()
        self.index.tasks.run(lambda: self.answers.store.exchange(message_id), open_dialog, "opening the answer")
