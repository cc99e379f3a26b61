"""Desktop tests run offscreen with pytest-qt; a Qt warning fails the test (pyproject: qt_log_level_fail)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture
def window(qtbot, data_dir, embedder, server_url, monkeypatch):
    """The real main window on a fresh data folder, answering through the Ollama API stand-in."""
    from PySide6.QtCore import QSettings

    from core.config import Settings
    from desktop.answer_backend import AnswerBackend
    from desktop.index_backend import IndexBackend
    from desktop.main_window import MainWindow
    from desktop.tasks import Tasks

    monkeypatch.setenv("OLLAMA_HOST", server_url)
    tasks = Tasks()
    index = IndexBackend(tasks, Settings(data_dir=data_dir), embedder=embedder)
    answers = AnswerBackend(tasks, index)
    win = MainWindow(index, answers, QSettings(str(data_dir / "desktop.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    with qtbot.waitSignal(index.opened, timeout=60_000):
        index.open()
    yield win
    index.stop_work()
    answers.stop()
    win.close_house_style()
    tasks.shutdown()
    answers.close()
    index.close()


@pytest.fixture
def view(qtbot):
    """The conversation area on its own."""
    from desktop.chat_view import ChatView

    return _shown(qtbot, ChatView(), 700, 500)


@pytest.fixture
def pane(qtbot):
    """The source preview on its own."""
    from desktop.preview import PreviewPane

    return _shown(qtbot, PreviewPane(), 700, 800)


def _shown(qtbot, widget, width: int, height: int):
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget

