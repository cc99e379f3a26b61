"""Start the real application, drive it through its main states and save screenshots.

    xvfb-run -s "-screen 0 1440x900x24" .venv/bin/python scripts/screenshots.py [--out resources/screenshots]

States: first run (empty), indexing a folder, an answer with its sources and the preview open,
the folders tab with per-file statuses, the settings. The answers come from the built-in engine,
exactly as on a machine without Ollama. Everything happens in a throwaway data folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

QUESTION = "How long is the refund window for Acme widgets?"
# Answered from "Main supplier: Globex Corporation, Lyon." — the country is true, but in no document:
# the check marks it "not in your sources" (the answer is right; the claim is unsourced).
SECOND_QUESTION = "In which city and country is our main supplier based?"


class Driver:
    """Runs steps one after another; each waits for its condition (polled) before acting."""

    def __init__(self, app, steps, timeout_s: float = 300):
        from PySide6.QtCore import QTimer

        self.app, self.steps, self.timeout_s = app, list(steps), timeout_s
        self.started = time.monotonic()
        self.timer = QTimer(interval=100, timeout=self._tick)
        self.timer.start()

    def _tick(self) -> None:
        if not self.steps:
            self.timer.stop()
            self.app.quit()
            return
        name, ready, act = self.steps[0]
        if ready():
            print(f"  {name}", flush=True)
            self.steps.pop(0)
            act()
            self.started = time.monotonic()
        elif time.monotonic() - self.started > self.timeout_s:
            print(f"gave up waiting for: {name}", file=sys.stderr)
            self.app.exit(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument("--theme", choices=["system", "light", "dark"], default="system")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="archivist-shots-"))
    os.environ["ARCHIVIST_DATA_DIR"] = str(work / "data")
    os.environ.setdefault("OLLAMA_HOST", "http://127.0.0.1:9")  # as on a machine without Ollama
    from demo_library import write_library

    docs = write_library(work / "Company documents", extra_notes=400)

    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from PySide6.QtCore import QSettings

    from core.config import Settings
    from desktop.app import Controller

    (work / "data").mkdir(parents=True, exist_ok=True)
    QSettings(str(work / "data" / "desktop.ini"), QSettings.Format.IniFormat).setValue("theme", args.theme)

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Archivist")
    controller = Controller(app, Settings.load())
    window = controller.window
    window.resize(1400, 860)
    controller.start([])
    answers: list[dict] = []
    controller.answers.answer_finished.connect(answers.append)
    cards: list = []

    def shot(name: str):
        def take():
            app.processEvents()
            QGuiApplication.primaryScreen().grabWindow(0).save(str(args.out / f"{name}.png"))
        return take

    def ask():
        window.engine_bar.combo.setCurrentIndex(1)  # the built-in engine, whatever is installed here
        window.composer.set_text(QUESTION)
        window.composer.submit()

    def on_card(card):  # the evidence card, before the model's first word: photographed at once
        if not cards:
            cards.append(card)
            from PySide6.QtCore import QTimer

            QTimer.singleShot(50, shot("6-evidence-card"))
    controller.answers.evidence_found.connect(on_card)

    def ask_second():
        window.splitter.setSizes([0, 1400, 0])
        window.composer.set_text(SECOND_QUESTION)
        window.composer.submit()

    def open_citation():
        citations = answers[-1]["citations"]
        if citations:
            window.show_source(citations[0])

    def show_problems():
        window.side.setCurrentWidget(window.folders)
        window.folders.status_filter.setCurrentIndex(1)  # failed, needs OCR, skipped: with the reasons
        window.preview_slot.hide()
        window.splitter.setSizes([640, 760, 0])

    def open_indexing_settings():
        controller.open_settings()
        dialog = controller.settings_dialog
        dialog.tabs.setCurrentIndex(2)
        dialog.model_combo.setCurrentText("all-MiniLM-L6-v2-int8")
        dialog._apply_indexing()  # measures this computer's speed, then asks before re-indexing

    idle = lambda: controller.index.archivist is not None  # noqa: E731
    indexing = lambda: window.index_progress.isVisible()  # noqa: E731
    indexed = lambda: (not window.index_progress.isVisible() and controller.index.archivist is not None  # noqa: E731
                       and controller.index.archivist.status().chunks > 0)
    steps = [
        ("first run", lambda: idle() and time.monotonic() > 0, lambda: None),
        ("empty window", lambda: True, shot("1-first-run")),
        ("drop a folder", lambda: True, lambda: window.add_paths([str(docs)])),
        ("indexing", indexing, lambda: None),
        ("indexing shot", lambda: True, shot("2-indexing")),
        ("indexed", indexed, ask),
        ("answered", lambda: bool(answers), open_citation),
        ("preview rendered", lambda: window.preview is not None and window.preview.current_page is not None,
         lambda: None),
        ("answer shot", lambda: True, shot("3-answer-and-preview")),
        ("second question", lambda: True, ask_second),
        ("second answer", lambda: len(answers) >= 2, lambda: None),
        ("flagged claim shot", lambda: True, shot("7-flagged-claim")),
        ("back to the layout", lambda: True, lambda: window.splitter.setSizes([300, 700, 400])),
        ("folders tab", lambda: True, show_problems),
        ("folders shot", lambda: True, shot("4-folders")),
        ("settings", lambda: True, open_indexing_settings),
        ("re-index estimate", lambda: "about" in controller.settings_dialog.estimate.text(), lambda: None),
        ("settings shot", lambda: True, shot("5-settings")),
    ]
    driver = Driver(app, steps)  # its timer drives the app from the event loop
    code = app.exec()
    del driver
    controller.shutdown()
    print(f"screenshots in {args.out}" if code == 0 else "failed")
    return code


if __name__ == "__main__":
    sys.exit(main())
