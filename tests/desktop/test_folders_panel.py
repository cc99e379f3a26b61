"""The folders panel: what its buttons ask for, what its slots show, and which drops it accepts."""

import os

import pytest
from PySide6.QtCore import QItemSelectionModel, QMimeData, Qt, QUrl
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.manifest import FAILED, INDEXED, NEEDS_OCR, SKIPPED, FileRecord
from desktop.dropping import local_paths
from desktop.eta import EtaEstimate, time_left_text
from desktop.folders_panel import FoldersPanel

DOCS = "/home/ada/Documents"
USB = "/media/ada/USB"


def record(name: str, status: str = INDEXED, reason: str = "", chunks: int = 3) -> FileRecord:
    return FileRecord(f"{DOCS}/{name}", DOCS, 2048, 0, None, status, reason, "pdf", chunks, 2, 0, None, 0.0)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def panel(qtbot, clock) -> FoldersPanel:
    widget = FoldersPanel(clock=clock)
    qtbot.addWidget(widget)
    widget.set_sources([{"path": DOCS, "available": True, "files": 1234},
                        {"path": USB, "available": False, "files": 80}])
    return widget


def select_source(panel: FoldersPanel, path: str) -> None:
    for row in range(panel.sources_list.count()):
        if panel.sources_list.item(row).text() == path:
            panel.sources_list.setCurrentRow(row)


def select_files(panel: FoldersPanel, names: list[str]) -> None:
    selection = panel.files_table.selectionModel()
    selection.clear()
    for row in range(panel.files_filter.rowCount()):
        if os.path.basename(panel.files_filter.path_at(row)) in names:
            selection.select(panel.files_filter.index(row, 0),
                             QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


def _open_dialog(panel, kind):
    dialogs = [d for d in panel.findChildren(kind) if d.isVisible()]
    assert len(dialogs) == 1, "exactly one dialog is open"
    return dialogs[0]


def test_add_folder_and_add_files_ask_through_signals(qtbot, panel, tmp_path):
    qtbot.mouseClick(panel.add_folder_button, Qt.MouseButton.LeftButton)
    dialog = _open_dialog(panel, QFileDialog)  # opened without a nested event loop
    assert dialog.fileMode() == QFileDialog.FileMode.Directory
    with qtbot.waitSignal(panel.add_requested) as added:
        dialog.fileSelected.emit(str(tmp_path))
    assert added.args == [[str(tmp_path)]]
    dialog.close()

    files = [str(tmp_path / "a.pdf"), str(tmp_path / "b.docx")]
    qtbot.mouseClick(panel.add_files_button, Qt.MouseButton.LeftButton)
    dialog = _open_dialog(panel, QFileDialog)
    with qtbot.waitSignal(panel.add_requested) as added:
        dialog.filesSelected.emit(files)
    assert added.args == [files]
    with qtbot.assertNotEmitted(panel.add_requested):
        dialog.reject()  # cancelled


def test_remove_asks_first_and_says_the_files_stay(qtbot, panel):
    assert not panel.remove_button.isEnabled()  # nothing selected
    select_source(panel, USB)
    assert panel.remove_button.isEnabled()
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    box = _open_dialog(panel, QMessageBox)
    assert USB in box.text() and "files themselves are not touched" in box.text()
    with qtbot.assertNotEmitted(panel.remove_requested):
        box.button(QMessageBox.StandardButton.Cancel).click()

    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.remove_requested) as removed:
        _open_dialog(panel, QMessageBox).button(QMessageBox.StandardButton.Yes).click()
    assert removed.args == [USB]

    panel.sources_list.setFocus()
    qtbot.keyClick(panel.sources_list, Qt.Key.Key_Delete)  # the Delete key asks the same
    with qtbot.waitSignal(panel.remove_requested) as removed:
        _open_dialog(panel, QMessageBox).button(QMessageBox.StandardButton.Yes).click()
    assert removed.args == [USB]


def test_pause_is_a_toggle_and_set_paused_does_not_echo(qtbot, panel):
    with qtbot.waitSignal(panel.pause_toggled) as toggled:
        qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert toggled.args == [True]
    assert panel.pause_button.text() == "Resume watching" and panel.pause_button.isChecked()
    with qtbot.assertNotEmitted(panel.pause_toggled):
        panel.set_paused(False)
    assert panel.pause_button.text() == "Pause watching" and not panel.pause_button.isChecked()


def test_retry_sends_only_the_selected_problem_files(qtbot, panel):
    panel.set_files([record("ok.pdf"), record("broken.pdf", FAILED, "unparseable PDF: no xref"),
                     record("scan.pdf", NEEDS_OCR, "2 of 2 pages have no text layer", chunks=0),
                     record("locked.pdf", SKIPPED, "encrypted: needs a password", chunks=0)])
    select_files(panel, ["ok.pdf"])
    assert not panel.retry_button.isEnabled()
    select_files(panel, ["ok.pdf", "broken.pdf", "scan.pdf", "locked.pdf"])
    assert panel.retry_button.isEnabled()
    with qtbot.waitSignal(panel.retry_requested) as retried:
        qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    assert retried.args == [[f"{DOCS}/broken.pdf", f"{DOCS}/scan.pdf"]]


def test_status_filter_and_search(qtbot, panel):
    panel.set_files([record(f"note-{i}.md") for i in range(8)] + [record("bad.pdf", FAILED, "access denied")])
    select_files(panel, ["bad.pdf"])
    panel.status_filter.setCurrentIndex(panel.status_filter.findText("Problems"))
    assert [panel.files_filter.path_at(r) for r in range(panel.files_filter.rowCount())] == [f"{DOCS}/bad.pdf"]
    assert panel.retry_button.isEnabled()  # the selection survived the filter
    panel.status_filter.setCurrentIndex(0)
    qtbot.keyClicks(panel.search_box, "NOTE-3")
    qtbot.waitUntil(lambda: panel.files_filter.rowCount() == 1)
    qtbot.waitUntil(lambda: panel.count_label.text() == "Showing 1 of 9 files")


@pytest.mark.qt_log_ignore("does not support propagateSizeHints")  # the offscreen platform, on show()
def test_double_click_or_enter_activates_a_file(qtbot, panel):
    panel.set_files([record("a.pdf"), record("b.pdf")])
    panel.show()
    qtbot.waitExposed(panel)
    table = panel.files_table
    rect = table.visualRect(panel.files_filter.index(1, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(panel.file_activated) as activated:
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated.args == [f"{DOCS}/b.pdf"]
    table.setCurrentIndex(panel.files_filter.index(0, 0))
    with qtbot.waitSignal(panel.file_activated) as activated:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert activated.args == [f"{DOCS}/a.pdf"]


def test_file_slots_keep_the_table_in_step(qtbot, panel):
    panel.set_files([record("a.pdf"), record("b.pdf", FAILED, "access denied"), record("c.pdf")])
    panel.file_changed(record("b.pdf", INDEXED, "", chunks=14))
    b = panel.files_model.record(panel.files_model.row_of(f"{DOCS}/b.pdf"))
    assert (b.status, b.reason, b.chunks) == (INDEXED, "", 14)
    panel.file_removed(f"{DOCS}/a.pdf")
    panel.file_removed(f"{DOCS}/c.pdf")
    assert panel.files_model.rowCount() == 3  # removals wait for the rest of their burst
    qtbot.waitUntil(lambda: panel.files_model.rowCount() == 1)
    assert panel.files_model.row_of(f"{DOCS}/a.pdf") is None
    panel.file_removed(f"{DOCS}/b.pdf")
    panel.file_changed(record("b.pdf"))  # removed, then back: the later change wins
    qtbot.wait(10)
    assert panel.files_model.row_of(f"{DOCS}/b.pdf") is not None


def test_progress_shows_counts_and_time_left(panel, clock):
    panel.set_progress(DOCS, 0, 1000, 0, 10_000_000)
    assert panel.progress_text(DOCS) == "0 of 1,000 files · estimating time left…"
    clock.now += 10
    panel.set_progress(DOCS, 120, 1000, 1_000_000, 10_000_000)  # 100 kB/s, 9 MB to go: 90 s
    assert panel.progress_text(DOCS) == "120 of 1,000 files · about 2 min left"
    assert "indexing 120 of 1,000 files · about 2 min left" in panel.source_summary(DOCS)
    panel.progress_finished(DOCS)
    assert panel.progress_text(DOCS) == "" and "indexing" not in panel.source_summary(DOCS)


def test_time_left_is_smoothed(clock):
    estimate = EtaEstimate(clock)
    assert estimate.update(0, 20_000_000) is None
    for _ in range(6):  # a minute at 100 kB/s
        clock.now += 10
        left = estimate.update(estimate_bytes := int((clock.now - 1000) * 100_000), 20_000_000)
    assert left == pytest.approx(140)
    clock.now += 1
    left = estimate.update(estimate_bytes + 1_000_000, 20_000_000)  # one large file done in a second
    assert 90 < left < 140  # moves, but nowhere near the 13 s that second alone would say
    for _ in range(12):  # the faster speed lasts: the estimate follows
        clock.now += 10
        estimate_bytes += 2_000_000
        left = estimate.update(estimate_bytes, 40_000_000)
    assert left == pytest.approx((40_000_000 - estimate_bytes) / 200_000, rel=0.1)
    assert estimate.update(0, 5_000_000) is None  # a new run starts afresh


def test_progress_without_bytes_to_read_and_for_a_source_listed_later(panel):
    panel.set_progress(DOCS, 5, 40, 0, 0)  # only removals: nothing to time
    assert panel.progress_text(DOCS) == "5 of 40 files"
    panel.set_progress("/home/ada/New", 1, 3, 10, 100)
    assert panel.source_summary("/home/ada/New") == ""
    panel.set_sources([{"path": "/home/ada/New", "available": True, "files": 3}])
    assert panel.source_summary("/home/ada/New").endswith("indexing 1 of 3 files · estimating time left…")


def test_time_left_wording():
    assert time_left_text(None) == "estimating time left…"
    assert time_left_text(20) == "less than a minute left"
    assert time_left_text(61) == "about 2 min left"
    assert time_left_text(3 * 3600 + 20 * 60) == "about 3 h 20 min left"
    assert time_left_text(12 * 3600 + 60) == "about 12 h left"


def test_sources_show_counts_and_unavailability(panel):
    assert panel.source_summary(DOCS) == f"{DOCS}, 1,234 files"
    assert panel.source_summary(USB) == f"{USB}, Unavailable (unplugged or renamed?)"
    select_source(panel, DOCS)
    panel.set_sources([{"path": DOCS, "available": True, "files": 1}])  # the selection survives
    assert panel.selected_source() == DOCS and panel.source_summary(DOCS) == f"{DOCS}, 1 file"


def test_every_control_has_an_accessible_name(panel):
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QComboBox, QLineEdit, QProgressBar

    controls = [c for kind in (QAbstractButton, QAbstractItemView, QComboBox, QLineEdit, QProgressBar)
                for c in panel.findChildren(kind)]
    unnamed = [c.metaObject().className() for c in controls
               if not c.accessibleName() and c.isVisibleTo(panel) and not isinstance(c.parent(), (QComboBox,))
               and c.parent() not in (panel.files_table, panel.sources_list)]  # headers, scroll bars, editors
    assert not unnamed


def mime_with(*urls: QUrl) -> QMimeData:
    mime = QMimeData()
    mime.setUrls(list(urls))
    return mime


def test_local_paths_accepts_only_existing_local_files_and_folders(qapp, tmp_path):
    folder = tmp_path / "Reports"
    folder.mkdir()
    note = tmp_path / "note.md"
    note.write_text("hello")
    mime = mime_with(QUrl.fromLocalFile(str(folder)), QUrl("https://example.com/report.pdf"),
                     QUrl.fromLocalFile(str(tmp_path / "missing.pdf")), QUrl.fromLocalFile(str(note)),
                     QUrl.fromLocalFile(str(folder) + "/"), QUrl.fromLocalFile(str(tmp_path / "x" / ".." / "note.md")),
                     QUrl("smb://server/share/doc.pdf"))
    assert local_paths(mime) == [str(folder), str(note)]

    text = QMimeData()
    text.setText(str(note))  # a dragged path as text is not a file drop
    assert local_paths(text) == []
    assert local_paths(mime_with(QUrl("http://localhost/note.md"))) == []


def test_a_dropped_file_whose_name_is_not_utf8_is_the_real_file(qapp, tmp_path):
    import urllib.parse

    from helpers import write_named

    odd = write_named(tmp_path, b"caf\xe9.md", "hello")
    mime = QMimeData()  # as a file manager sends it: the name's bytes, percent-encoded
    mime.setData("text/uri-list", b"file://" + urllib.parse.quote_from_bytes(os.fsencode(odd)).encode() + b"\r\n")
    assert local_paths(mime) == [odd]
