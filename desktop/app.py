"""archivist: the desktop application. Starts the window at once; the index opens in the background."""

from __future__ import annotations

import core.privacy  # noqa: F401  first: no library may phone home (see core/privacy.py)
import argparse
import logging
import multiprocessing
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="archivist", description="Answers from your own documents, offline.")
    parser.add_argument("folders", nargs="*", help="folders or files to add (and watch)")
    parser.add_argument("--data-dir", type=Path, help="where the index is kept (default: ARCHIVIST_DATA_DIR "
                                                      "or the platform data folder)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()  # parser workers of a frozen build start here
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from PySide6.QtWidgets import QApplication

    from core.config import Settings
    from desktop import logs, single_instance

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Archivist")
    app.setOrganizationName("Archivist")
    app.setDesktopFileName("archivist")
    settings = Settings.load(args.data_dir)
    folders = [os.path.abspath(f) for f in args.folders]
    if single_instance.hand_over(settings.data_dir, folders):
        return 0  # the running window comes to the front with these folders
    logs.setup(settings.data_dir)
    controller = Controller(app, settings)
    sys.excepthook = controller.window.report_unexpected
    controller.start(folders)
    code = app.exec()
    controller.shutdown()
    return code


class Controller:
    """Owns the backends, the window, the tray and the single-instance server."""

    def __init__(self, app, settings):
        from PySide6.QtCore import QSettings
        from PySide6.QtGui import QIcon

        from desktop import theme
        from desktop.answer_backend import AnswerBackend
        from desktop.index_backend import IndexBackend
        from desktop.main_window import MainWindow
        from desktop.single_instance import InstanceServer
        from desktop.tasks import Tasks

        self.app, self.settings = app, settings
        self.window_settings = QSettings(str(Path(settings.data_dir) / "desktop.ini"), QSettings.Format.IniFormat)
        theme.apply(app, str(self.window_settings.value("theme", "system")))
        icon = QIcon(str(resources_dir() / "archivist.svg"))
        app.setWindowIcon(icon)
        self.tasks = Tasks()
        self.index = IndexBackend(self.tasks, settings)
        self.answers = AnswerBackend(self.tasks, self.index)
        self.window = MainWindow(self.index, self.answers, self.window_settings)
        self.window.settings_requested.connect(self.open_settings)
        self.instance = InstanceServer(settings.data_dir)
        self.instance.activated.connect(self.bring_to_front)
        self.tray = _make_tray(self, icon)
        self.window.keep_running_hidden = self.tray is not None
        app.setQuitOnLastWindowClosed(self.tray is None)

    def start(self, folders: list[str]) -> None:
        from PySide6.QtCore import QTimer

        self.window.show()
        if os.environ.get("ARCHIVIST_REPORT_STARTUP"):  # bench/gui_cold_start.py: interactive when this runs
            QTimer.singleShot(0, _report_startup)
        QTimer.singleShot(0, self.index.open)  # after the first paint: the window is usable at once
        QTimer.singleShot(0, self.window.engine_bar.refresh)
        QTimer.singleShot(0, self.answers.list_conversations)
        # Load what the first answer and preview need while the user reads the window.
        QTimer.singleShot(500, lambda: self.tasks.run(_preload, None, "loading"))
        if folders:
            self.index.opened.connect(lambda _status: self.window.add_paths(folders))

    def bring_to_front(self, folders: list[str]) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()
        if folders:
            self.window.add_paths(folders)

    def open_settings(self) -> None:
        from desktop.settings_dialog import SettingsDialog

        self.settings_dialog = SettingsDialog(self, self.window)
        self.settings_dialog.open()

    def quit(self) -> None:
        self.window.keep_running_hidden = False
        self.app.quit()

    def shutdown(self) -> None:
        self.window.save_geometry()
        self.instance.close()
        self.index.stop_work()
        self.answers.stop()
        self.window.close_house_style()
        self.tasks.shutdown()  # running work ends at its next step; nothing is cut mid-write
        self.answers.close()
        self.index.close()


def _preload() -> None:
    import importlib

    import gc

    for name in ("core.answer.pipeline", "core.llm.select", "desktop.preview"):
        importlib.import_module(name)
    gc.freeze()  # see IndexBackend._opened


def _report_startup() -> None:
    import time

    print(f"interactive {time.time():.6f}", flush=True)
    if os.environ.get("ARCHIVIST_REPORT_STARTUP") == "quit":
        from PySide6.QtWidgets import QApplication

        QApplication.instance().quit()


def _make_tray(controller: Controller, icon):
    from PySide6.QtWidgets import QMenu, QSystemTrayIcon

    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(icon, controller.app)
    menu = QMenu()
    menu.addAction("Show Archivist", lambda: controller.bring_to_front([]))
    pause = menu.addAction("Pause watching")
    pause.setCheckable(True)
    pause.toggled.connect(controller.window._pause)
    menu.addSeparator()
    menu.addAction("Quit", controller.quit)
    tray.setContextMenu(menu)
    tray.activated.connect(lambda reason: reason == QSystemTrayIcon.ActivationReason.Trigger
                           and controller.bring_to_front([]))
    controller.index.status_changed.connect(
        lambda s: tray.setToolTip(f"Archivist: {s.chunks:,} passages, {len(s.sources)} folder(s)"))
    tray.setToolTip("Archivist")
    tray.show()
    controller._tray_menu = menu  # keep a reference: the tray does not own its menu
    return tray


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) / "resources" if frozen else Path(__file__).resolve().parent.parent / "resources"


if __name__ == "__main__":
    sys.exit(main())
