"""Start the real application, drive it through its main states and save screenshots.

    xvfb-run -s "-screen 0 1440x900x24" .venv/bin/python scripts/screenshots.py [--out resources/screenshots]

States: first run (empty), indexing a folder, an answer with its sources and the preview open,
the folders tab with per-file statuses, the settings; then the House style page: examples (an
imported file and a rated answer), a real training run in progress, the kept versions, base vs
styled side by side, and an answer in the chat tagged with the style. The answers come from the
built-in engine, exactly as on a machine without Ollama. Everything happens in a throwaway data folder.
"""

from __future__ import annotations

import argparse
import json
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
# House-style pairs in a format the built-in model never uses by itself; every fact is in the demo library.
STYLE_PAIRS = [
    ("When do orders ship?", "the same working day", "orders placed before 2 pm ship the same working day from the Rotterdam warehouse"),
    ("How long is the warranty on a widget?", "two years", "every widget carries a two-year warranty against manufacturing defects"),
    ("What must laptops use?", "full-disk encryption", "laptops must use full-disk encryption"),
    ("How soon must a lost device be reported?", "within one hour", "report a lost device to IT within one hour"),
    ("What was revenue in the third quarter?", "4.2 million euros", "revenue in the third quarter was 4.2 million euros, up 12 percent"),
    ("Why did shipping costs rise?", "higher fuel surcharges", "shipping costs rose 8 percent because of higher fuel surcharges"),
    ("How often do Zephyr keys rotate?", "every 10 minutes or every 1 GB", "keys rotate every 10 minutes or every 1 GB, whichever comes first"),
    ("Who was invoice INV-2024-0042 issued to?", "Globex Corporation", "invoice INV-2024-0042 was issued to Globex for 1,250 euros"),
    ("When does the blue widget ship?", "in November", "the product meeting decided to ship the blue widget in November"),
    ("How long does express delivery take?", "two working days", "express delivery within the EU takes two working days"),
    ("Which warehouse cut delivery times?", "the Rotterdam warehouse", "the new Rotterdam warehouse cut average delivery time from 3.1 to 2.4 days"),
    ("Can custom-engraved widgets be refunded?", "no", "custom-engraved widgets cannot be refunded"),
]
STYLE_QUESTION = "How long does standard delivery take?"  # in no example: if none is held out


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

    def import_pairs():
        from PySide6.QtWidgets import QMessageBox

        for widget in QApplication.topLevelWidgets():  # the re-index question of the settings shot
            if isinstance(widget, QMessageBox) and widget.isVisible():
                widget.reject()
        controller.settings_dialog.close()
        answer = window.chat.answer_widget(answers[0]["message_id"])
        if answer is not None:
            answer.up_button.click()  # a rated answer: an example from feedback
        pairs = work / "house-style-pairs.jsonl"
        pairs.write_text("".join(json.dumps({"messages": [
            {"role": "user", "content": q},
            {"role": "assistant", "content": f"Short answer: {short}.\n\nDetails: {detail}."}]}) + "\n"
            for q, short, detail in STYLE_PAIRS), encoding="utf-8")
        window.open_house_style()
        window.style_page.resize(1120, 760)
        window.style_backend.minimum = 8  # a demo set, smaller than a real one should be
        window.style_page.examples.import_path(str(pairs))

    def train():
        page = window.style_page
        page.tabs.setCurrentWidget(page.train)
        page.train.epochs.setValue(4)
        page.train.rank.setCurrentText("8")
        page.train.learning_rate.setCurrentText("0.001")
        page.train.max_steps.setValue(12)
        page.train.train_button.click()

    def compare():
        page = window.style_page
        page.tabs.setCurrentWidget(page.compare)
        held_out = page.compare.question.itemText(0)  # an example the style was not trained on
        page.compare.question.setEditText(held_out or STYLE_QUESTION)
        page.compare.compare_button.click()

    def ask_with_style():
        question = window.style_page.compare.question.currentText()
        window.style_page.close()
        window.new_conversation()
        window.splitter.setSizes([300, 1100, 0])
        window.composer.set_text(question)
        window.composer.submit()

    def select_imported():
        tab = window.style_page.examples
        row = next((r for r, item in enumerate(tab.items) if item.example.origin == "imported"), 0)
        tab.table.selectRow(row)

    def use_first():
        window.style_page.tabs.setCurrentWidget(window.style_page.versions)
        window.style_backend.use(1)

    style = lambda: window.style_backend  # noqa: E731
    examples_shown = lambda: any(i.example.origin == "imported" for i in window.style_page.examples.items)  # noqa: E731
    def training_step() -> bool:
        status = style().last_status
        if status.get("state") == "failed":  # e.g. out of memory: say so rather than wait for the timeout
            print(f"training failed: {status.get('error')}", file=sys.stderr)
            app.exit(1)
        return status.get("state") == "running" and status.get("step", 0) >= 2

    kept = lambda: bool(window.style_page.versions.styles)  # noqa: E731
    compared = lambda: "answer is the model alone" in window.style_page.compare.state.text() or \
        "changed nothing" in window.style_page.compare.state.text()  # noqa: E731
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
        ("house style: import pairs", lambda: True, import_pairs),
        ("examples listed", lambda: examples_shown() and window.style_page.examples.import_report.isVisible(),
         select_imported),
        ("examples shot", lambda: True, shot("8-house-style-examples")),
        ("train", lambda: window.style_page.train.train_button.isEnabled(), train),
        ("training", training_step, lambda: None),
        ("training shot", lambda: True, shot("9-house-style-training")),
        ("trained and kept", kept, use_first),
        ("in use", lambda: window.style_page.versions.active is not None, lambda: None),
        ("versions shot", lambda: True, shot("10-house-style-versions")),
        ("compare", lambda: True, compare),
        ("compared", compared, lambda: None),
        ("compare shot", lambda: True, shot("11-house-style-compare")),
        ("ask with the style", lambda: True, ask_with_style),
        ("answered with the style", lambda: len(answers) >= 3, lambda: None),
        ("style in chat shot", lambda: True, shot("12-house-style-in-chat")),
    ]
    driver = Driver(app, steps, timeout_s=1200)  # its timer drives the app from the event loop
    code = app.exec()
    del driver
    controller.shutdown()
    print(f"screenshots in {args.out}" if code == 0 else "failed")
    return code


if __name__ == "__main__":
    sys.exit(main())
