"""The House style page in the real window: examples from a real feedback log and an imported file
grounded in a real index, edited and removed; registered styles (real GGUF LoRA adapters) used,
reverted and removed, and the chat naming the style that shaped an answer; compare; the training's
progress read from its status file (a stand-in process as the fast double) and Cancel; and one real
short training run on the bundled SmolLM2, cancelled, resumed and kept as a version."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from core import layout
from core.conversations import ConversationStore
from core.feedback import FeedbackLog
from core.llm.embedded_engine import bundled_model_path
from core.style.ollama_register import styled_model_name
from core.style.registry import StyleRegistry
from core.style.studio import HouseStyle, verdict
from core.style.training import HyperParameters
from desktop.style_versions import COLUMNS
from helpers import FILLER, write
from ollama_env import MODEL
from style_helpers import make_manifest, write_smollm2_lora
from test_style_examples import example, save_and_rate

pytestmark = pytest.mark.skipif(bundled_model_path() is None, reason="the bundled SmolLM2 is not installed")

NOTES = {
    "How long is the refund window for Acme widgets?": "The refund window for Acme widgets is 30 days from delivery.",
    "Where does the quarterly board meeting take place?": "The quarterly board meeting takes place in the Lisbon office.",
    "Where does Marmalade sleep?": "Our office cat, Marmalade, sleeps on the server rack every afternoon.",
}
REFUND, BOARD, CAT = NOTES


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), button.accessibleName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def index_notes(window, qtbot, docs) -> None:
    for n, fact in enumerate(NOTES.values()):
        write(docs / f"note{n}.md", f"# Note {n}\n\n{FILLER}\n\n{fact}\n\n{FILLER}")
    with qtbot.waitSignal(window.index.sync_finished, timeout=120_000, check_params_cb=lambda f: f.files_done):
        window.add_paths([str(docs)])


def open_page(window, qtbot):
    window.house_style_action.trigger()  # Tools → House style…
    page = window.style_page
    qtbot.waitExposed(page)
    return page


def rows(table) -> list[tuple[str, ...]]:
    return [tuple(table.item(r, c).text() for c in range(table.columnCount())) for r in range(table.rowCount())]


def select(qtbot, tab, origin: str, question: str) -> None:
    row = next(r for r, item in enumerate(tab.items) if (item.example.origin, item.example.question) == (origin, question))
    tab.table.selectRow(row)
    assert tab.current().example.question == question


# -- examples -------------------------------------------------------------------------------------

def test_examples_from_the_feedback_log_and_an_imported_file(window, qtbot, docs, data_dir, tmp_path, monkeypatch):
    # Five examples get no refusal at the app's 5 % (one comes at ten); this test shows how one is
    # listed, and goes when an example removed leaves too few for one: at 10 %, five get one, four none.
    monkeypatch.setattr("core.style.examples.REFUSAL_RATE", 0.10)
    index_notes(window, qtbot, docs)
    store = ConversationStore(layout.conversations_path(data_dir))
    log = FeedbackLog(layout.feedback_path(data_dir))
    try:
        approved, _ = save_and_rate(store, log, REFUND, "30 days [1].", (NOTES[REFUND],), 1)
        save_and_rate(store, log, CAT, "Nobody.", (NOTES[CAT],), -1)  # rated down, not corrected: no example
        save_and_rate(store, log, BOARD, "In Porto [1].", (NOTES[BOARD],), -1, ideal="In **Lisbon** [1].",
                      reason="wrong city")
    finally:
        store.close()
        log.close()

    page = open_page(window, qtbot)
    tab = page.examples
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2, timeout=60_000)
    assert [r[:3] for r in rows(tab.table)] == [("Rated up", REFUND, "30 days [1]."),
                                                ("Your correction", BOARD, "In **Lisbon** [1].")]
    assert "18 more are needed" in tab.problems.text() and tab.problems.isVisible()
    assert tab.summary.text().startswith("1 rated up, 1 corrected · 2 to train on")
    assert "Not ready to train" in page.train.readiness.text() and not page.train.train_button.isEnabled()
    select(qtbot, tab, "corrected", BOARD)
    assert "In Porto [1]." in tab.note.text() and "wrong city" in tab.note.text()  # the original and why

    pairs = tmp_path / "pairs.jsonl"
    chat = lambda q, a: json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})  # noqa: E731
    pairs.write_text("\n".join([chat(REFUND, "Short answer: 30 days.\n\nDetails: the refund window is 30 days from delivery."),
                                chat(BOARD, "Short answer: Lisbon.\n\nDetails: the board meets in the Lisbon office."),
                                chat(CAT, "Short answer: on the server rack.\n\nDetails: Marmalade sleeps on the server rack."),
                                chat("What is the CEO's salary?", "Short answer: 2 million euros."),
                                "not json"]) + "\n")
    with qtbot.waitSignal(window.style_backend.imported, timeout=120_000):
        tab.import_path(str(pairs))
    qtbot.waitUntil(lambda: tab.table.rowCount() == 6, timeout=60_000)
    report = tab.import_report.toPlainText()
    assert report.startswith("pairs.jsonl: 4 pairs read; 3 supported by your documents (3 new).")
    assert "line 5: is not valid JSON" in report and "line 4: " in report  # each left out, saying why
    assert [r[0] for r in rows(tab.table)].count("Imported") == 3
    (refusal,) = [r for r in rows(tab.table) if r[0] == "Refusal"]  # made at the app's rate, in its words
    assert refusal[2] == "I could not find this in your documents."
    select(qtbot, tab, "refusal", refusal[1])
    assert tab.editor.isReadOnly() and not tab.remove_button.isVisible()
    studio = HouseStyle(data_dir)

    # An imported answer rewritten: checked against its sources as on import, then the line rewritten.
    select(qtbot, tab, "imported", REFUND)
    tab.editor.setPlainText("Short answer: 45 days.")
    click(qtbot, tab.save_button)
    qtbot.waitUntil(lambda: "Not saved: its facts are not in your documents: 45 days" in page.notice.text)
    assert not any("45 days" in e.answer for e in studio.imported())
    select(qtbot, tab, "imported", REFUND)
    tab.editor.setPlainText("Short answer: 30 days.\n\nDetails: the refund window for Acme widgets is 30 days from delivery.")
    click(qtbot, tab.save_button)
    qtbot.waitUntil(lambda: any(e.answer.startswith("Short answer: 30 days") and "Acme" in e.answer
                                for e in studio.imported()), timeout=30_000)
    edited = next(e for e in studio.imported() if e.question == REFUND)
    assert re.search(r"\[\d\]", edited.answer) and edited.original.startswith("Short answer: 30 days.\n\nDetails: the refund")

    # A feedback answer edited becomes that answer's correction in the feedback log.
    qtbot.waitUntil(lambda: any(i.example.answer == edited.answer for i in tab.items), timeout=30_000)
    select(qtbot, tab, "approved", REFUND)
    tab.editor.setPlainText("**30 days** from delivery [1].")
    click(qtbot, tab.save_button)
    qtbot.waitUntil(lambda: window.answers.feedback.get(approved.message_id).ideal_answer == "**30 days** from delivery [1].",
                    timeout=30_000)
    qtbot.waitUntil(lambda: [r[0] for r in rows(tab.table)].count("Your correction") == 2, timeout=30_000)

    select(qtbot, tab, "imported", CAT)
    assert tab.remove_button.isVisible()
    click(qtbot, tab.remove_button)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 4, timeout=30_000)
    assert [e.question for e in studio.imported()] == [REFUND, BOARD]
    select(qtbot, tab, "corrected", BOARD)
    assert not tab.remove_button.isVisible()  # a feedback example leaves with its rating, not from here


def test_a_listing_that_ends_after_a_newer_one_is_not_shown(window, qtbot, monkeypatch):
    page = open_page(window, qtbot)
    backend = window.style_backend
    qtbot.waitUntil(lambda: page.examples.found is not None, timeout=60_000)
    real, may_end, ended = backend.studio.listing, threading.Event(), threading.Event()

    def listing(count_tokens, context_length, minimum):
        if minimum == 20:  # the older listing is held back until the newer one has been shown
            may_end.wait(30)
            try:
                return real(count_tokens, context_length, minimum)
            finally:
                ended.set()
        return real(count_tokens, context_length, minimum)
    monkeypatch.setattr(backend.studio, "listing", listing)
    backend.list_examples()
    backend.minimum = 5
    with qtbot.waitSignal(backend.examples_listed, timeout=30_000):
        backend.list_examples()
    may_end.set()
    qtbot.waitUntil(ended.is_set, timeout=30_000)
    qtbot.wait(300)  # its result, had it been shown, would have arrived by now
    assert "5 more are needed (at least 5)" in page.examples.problems.text()


# -- versions, the chat, compare ------------------------------------------------------------------

def test_styles_are_used_reverted_and_removed_and_the_chat_names_the_one_that_answered(window, qtbot, docs,
                                                                                        data_dir, tmp_path, server_url):
    base = Path(bundled_model_path())
    registry = StyleRegistry(data_dir)
    registry.register(write_smollm2_lora(tmp_path / "a.gguf", seed=1), make_manifest(base))
    registry.register(write_smollm2_lora(tmp_path / "b.gguf", seed=2),
                      make_manifest(base, scores={"validation_loss": 0.812, "train_loss": 0.5}))
    registry.record_evaluation(2, gate={"passed": False, "reason": "citation accuracy fell from 0.90 to 0.60"})
    index_notes(window, qtbot, docs)

    page = open_page(window, qtbot)
    tab = page.versions
    page.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2, timeout=30_000)
    listed = rows(tab.table)
    assert [r[1] for r in listed] == ["house style v2", "house style v1"]  # newest first
    assert listed[0][3:] == ("smollm2-135m", "8 + 2 held out", "0.812", "train loss 0.5",
                             "held back: citation accuracy fell from 0.90 to 0.60")
    assert listed[1][7] == "not compared yet" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", listed[1][2])
    assert tab.in_use.text() == "Answers use no house style." and not tab.revert_button.isEnabled()

    def use(version):
        tab.table.selectRow(tab.row_of(version))
        click(qtbot, tab.use_button)
        if version == 2:  # held back: Use asks first, saying why
            qtbot.waitUntil(lambda: _visible(QMessageBox) is not None)
            box = _visible(QMessageBox)
            assert "House style v2 was held back" in box.text() and "citation accuracy fell" in box.text()
            click(qtbot, box.button(QMessageBox.StandardButton.Cancel))
            qtbot.wait(200)
            assert registry.active().version == 1
            click(qtbot, tab.use_button)
            qtbot.waitUntil(lambda: _visible(QMessageBox) is not None)
            click(qtbot, _visible(QMessageBox).button(QMessageBox.StandardButton.Ok))
        qtbot.waitUntil(lambda: registry.active() is not None and registry.active().version == version, timeout=10_000)
        qtbot.waitUntil(lambda: tab.table.item(tab.row_of(version), 0).text() == "● in use", timeout=10_000)

    window.answers.choose_engine("ollama", MODEL)  # the picker's choice; auto takes the newest model
    use(1)
    # Answers come from Ollama: the style is registered there for the model they come from.
    qtbot.waitUntil(lambda: "Registered with Ollama" in page.notice.text, timeout=60_000)
    assert f"answers with {MODEL} now come from {styled_model_name(MODEL, 1)}" in page.notice.text
    use(2)
    qtbot.waitUntil(lambda: styled_model_name(MODEL, 2) in page.notice.text, timeout=60_000)
    assert {styled_model_name(MODEL, 1), styled_model_name(MODEL, 2)} <= ollama_models(server_url)
    assert tab.in_use.text() == "Answers use house style v2." and tab.table.item(tab.row_of(1), 0).text() == ""
    click(qtbot, tab.revert_button)
    qtbot.waitUntil(lambda: tab.in_use.text() == "Answers use house style v1.", timeout=10_000)
    assert registry.active().version == 1
    click(qtbot, tab.none_button)
    qtbot.waitUntil(lambda: tab.in_use.text() == "Answers use no house style.", timeout=10_000)
    assert registry.active() is None
    click(qtbot, tab.revert_button)
    qtbot.waitUntil(lambda: tab.in_use.text() == "Answers use house style v1.", timeout=10_000)

    tab.table.selectRow(tab.row_of(2))
    click(qtbot, tab.remove_button)
    qtbot.waitUntil(lambda: _visible(QMessageBox) is not None)
    box = _visible(QMessageBox)
    assert "Remove house style v2?" in box.text()
    click(qtbot, box.button(QMessageBox.StandardButton.Ok))
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=10_000)
    assert [s.version for s in registry.list()] == [1] and registry.active().version == 1
    assert styled_model_name(MODEL, 2) not in ollama_models(server_url)  # removed from Ollama too
    assert styled_model_name(MODEL, 1) in ollama_models(server_url)
    # The model picker offers models to answer with; a style's model is the House style page's business.
    window.engine_bar.refresh()
    qtbot.waitUntil(lambda: f"Ollama: {MODEL}" in picker_items(window), timeout=30_000)
    assert not any("house-style" in item for item in picker_items(window))

    # The chat: the answer the style shaped says so, live and when the conversation is opened again.
    window.answers.choose_engine("embedded", "")
    window.composer.set_text(CAT)
    with qtbot.waitSignal(window.answers.answer_finished, timeout=180_000) as finished:
        window.composer.submit()
    answer = window.chat.answer_widget(finished.args[0]["message_id"])
    assert answer.style_tag.isVisible() and answer.style_tag.text() == "house style v1"
    assert "house style" not in answer.meta_label.text() and "Built-in engine" in answer.meta_label.text()
    with qtbot.waitSignal(window.answers.conversation_loaded, timeout=10_000):
        window.answers.load(finished.args[0]["conversation_id"])
    qtbot.waitUntil(lambda: window.chat.answer_widget(finished.args[0]["message_id"]) is not None)
    assert window.chat.answer_widget(finished.args[0]["message_id"]).style_tag.text() == "house style v1"

    # Compare: the same question without and with the style, from the same passages.
    compare = page.compare
    page.tabs.setCurrentWidget(compare)
    assert compare.style_combo.currentText() == "house style v1 (in use)"
    compare.question.setEditText(CAT)
    with qtbot.waitSignal(window.style_backend.compared, timeout=180_000) as compared:
        click(qtbot, compare.compare_button)
    result = compared.args[0]
    assert result.base.style == "" and result.styled.style == "house style v1"
    assert compare.base.body.toPlainText().strip() == result.base.text.strip() != ""
    assert compare.styled.body.toPlainText().strip() == result.styled.text.strip() != ""
    assert compare.sources.text().startswith("Both written from the same") and "note2.md" in compare.sources.text()
    assert compare.compare_button.isEnabled() and not compare.stop_button.isVisible()
    import ollama

    with ollama.Client(host=server_url, timeout=60) as client:
        client.delete(styled_model_name(MODEL, 1))  # the stand-in serves the other tests too


def ollama_models(server_url) -> set[str]:
    import ollama

    with ollama.Client(host=server_url, timeout=60) as client:
        return {m.model for m in client.list().models}


def picker_items(window) -> list[str]:
    combo = window.engine_bar.combo
    return [combo.itemText(i) for i in range(combo.count())]


def _visible(kind):
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)


def test_an_answer_names_its_style_only_when_one_shaped_it(view):
    styled = view.add_answer("m1", "Fine.", [], "complete", "embedded", "SmolLM2 · house style v3")
    assert styled.style_tag.isVisibleTo(styled) and styled.style_tag.text() == "house style v3"
    assert styled.meta_label.text() == "Built-in engine · SmolLM2"
    plain = view.add_answer("m2", "Fine.", [], "complete", "ollama", "llama3.2:3b")
    assert not plain.style_tag.isVisibleTo(plain) and plain.meta_label.text() == "Ollama · llama3.2:3b"


# -- training -------------------------------------------------------------------------------------

def test_training_progress_is_read_from_its_status_file_and_cancel_stops_it(window, qtbot, data_dir):
    """The fast double: a process that stands in for the training, and the status file it would write."""
    runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        folder = HouseStyle(data_dir).job.folder
        folder.mkdir(parents=True)
        started = psutil.Process(runner.pid).create_time()

        def status(**fields):
            (folder / "status.json").write_text(json.dumps({"state": "running", "pid": runner.pid,
                                                            "started_at": started, **fields}))

        status(step=3, total_steps=12, loss=1.25, tokens_per_s=310.0, eta_s=150)
        page = open_page(window, qtbot)
        train = page.train
        page.tabs.setCurrentWidget(train)
        qtbot.waitUntil(lambda: train.progress.isVisible() and train.progress.value() == 3, timeout=10_000)
        assert train.progress.format() == "Step 3/12 · loss 1.250 · 310 tokens/s · about 3 min left"
        assert train.progress.maximum() == 12 and train.cancel_button.isEnabled()
        assert not train.train_button.isEnabled() and not train.epochs.isEnabled()

        status(step=5, total_steps=12, loss=0.75, tokens_per_s=300.0, eta_s=30)
        qtbot.waitUntil(lambda: train.progress.value() == 5, timeout=5_000)  # followed by the timer
        assert train.progress.format() == "Step 5/12 · loss 0.750 · 300 tokens/s · less than a minute left"

        click(qtbot, train.cancel_button)
        assert runner.wait(timeout=10) == -signal.SIGTERM  # the stop a run checkpoints on
        # That stand-in could not say it stopped: a run whose process is gone offers Resume.
        qtbot.waitUntil(lambda: train.resume_button.isVisible(), timeout=10_000)
        assert "stopped before it finished" in train.state.text() and not train.progress.isVisible()

        (folder / "status.json").write_text(json.dumps({"state": "cancelled", "step": 5, "total_steps": 12}))
        window.style_backend.watch()
        assert train.state.text() == "Stopped at step 5 of 12. Resume continues from the last checkpoint."
        assert train.resume_button.isVisible() and not train.cancel_button.isEnabled()
    finally:
        runner.kill()
        runner.wait()


QUICK = HyperParameters(rank=4, alpha=8, dropout=0.0, learning_rate=1e-3, batch_size=1, warmup_steps=0, epochs=1,
                        max_steps=3, checkpoint_every=1)


def test_a_real_run_is_cancelled_resumed_and_kept_as_a_version(window, qtbot, data_dir, docs, monkeypatch):
    HouseStyle(data_dir).keep_imported([example(i, "imported") for i in range(6)])
    write(docs / "prices.md", "# Price list\n\n" + "\n\n".join(  # what the examples' answers come from
        f"Item {i} costs {100 + i} euros including delivery." for i in range(6)))
    with qtbot.waitSignal(window.index.sync_finished, timeout=120_000, check_params_cb=lambda f: f.files_done):
        window.add_paths([str(docs)])
    page = open_page(window, qtbot)
    window.style_backend.minimum = 5
    window.style_backend.list_examples()
    train = page.train
    page.tabs.setCurrentWidget(train)
    qtbot.waitUntil(lambda: train.train_button.isEnabled(), timeout=60_000)
    assert "ready to train" in train.readiness.text() and "SmolLM2" in train.base.text()
    monkeypatch.setattr(train, "parameters", lambda: QUICK)  # one example a step: a run of seconds

    click(qtbot, train.train_button)
    qtbot.waitUntil(lambda: train.progress.isVisible() and train.progress.value() >= 1, timeout=120_000)
    assert train.progress.format().startswith("Step ") and "/3 · loss " in train.progress.format()
    click(qtbot, train.cancel_button)
    qtbot.waitUntil(lambda: train.resume_button.isVisible(), timeout=120_000)
    assert train.state.text().startswith("Stopped at step ") and train.status["state"] == "cancelled"
    stopped_at = train.status["step"]

    with qtbot.waitSignal(window.style_backend.registered, timeout=180_000) as registered:
        click(qtbot, train.resume_button)
    style = registered.args[0]
    assert style.label == "house style v1" and style.manifest.training.steps == 3
    assert style.manifest.scores["validation_loss"] > 0
    qtbot.waitUntil(lambda: page.versions.table.rowCount() == 1, timeout=10_000)
    assert "house style v1 is ready" in train.state.text() and 1 <= stopped_at < 3
    assert not train.resume_button.isVisible() and train.train_button.isEnabled()
    # Then compared with the plain model, as `style train` does, and the gate's verdict kept and shown.
    # Nothing of another kind has been asked here (and three steps may change no answer): held back.
    check = COLUMNS.index("Check")
    qtbot.waitUntil(lambda: page.versions.table.item(0, check).text() != "not compared yet", timeout=300_000)
    kept = StyleRegistry(data_dir).get(1)
    assert kept.manifest.gate and page.versions.table.item(0, check).text() == verdict(kept)
    assert verdict(kept).startswith("held back: ") and "House style v1 compared with the plain model: held back: " \
        in page.notice.text
    page.tabs.setCurrentWidget(page.versions)
    page.versions.table.selectRow(0)
    click(qtbot, page.versions.use_button)
    qtbot.waitUntil(lambda: _visible(QMessageBox) is not None)
    box = _visible(QMessageBox)
    assert box.text().startswith("House style v1 was held back when compared with the plain model: ")
    if shots := os.environ.get("ARCHIVIST_SCREENSHOTS"):
        window.style_page.grab().save(os.path.join(shots, "house-style-checked.png"))
        box.grab().save(os.path.join(shots, "house-style-use-anyway.png"))
    click(qtbot, box.button(QMessageBox.StandardButton.Cancel))
    assert StyleRegistry(data_dir).active() is None
    first = kept.manifest.scores["comparison"]["at"]
    click(qtbot, page.versions.check_button)  # after more questions, say: judged again on request
    assert not page.versions.check_button.isEnabled() and page.notice.text.startswith("Comparing house style v1")
    qtbot.waitUntil(lambda: page.versions.check_button.isEnabled(), timeout=300_000)
    assert StyleRegistry(data_dir).get(1).manifest.scores["comparison"]["at"] >= first
    assert "House style v1 compared with the plain model: held back: " in page.notice.text


def test_earlier_answers_rehearsed_are_listed_read_only_and_say_why(window, qtbot, data_dir):
    from core.answer.citations import resolve
    from core.answer.pipeline import Answered, Retrieved
    from core.answer.prompt import build_prompt
    from core.history import save_answer
    from test_style_examples import hit, words

    log = FeedbackLog(layout.feedback_path(data_dir))
    store = ConversationStore(layout.conversations_path(data_dir))
    try:
        for i in range(20):  # the user's own: corrections, enough to train on
            save_and_rate(store, log, f"What does item {i} cost?", "Unsure.", (example(i).sources[0],), -1,
                          ideal=f"In short: {100 + i} euros [1].")
        for city in ("Oslo", "Bergen", "Tromsø", "Bodø", "Narvik", "Alta", "Molde", "Harstad"):
            question = f"Where is the {city} depot?"
            prompt = build_prompt(question, [hit(f"Depots. The {city} depot is at Harbour Road 7.")], 4096, words)
            retrieved = Retrieved(question, prompt.sources, [], True, {}, prompt.messages)
            text = f"The {city} depot is at Harbour Road 7 [1]."
            conversation = store.create().id
            store.add_message(conversation, "user", question)
            save_answer(store, conversation, retrieved, Answered(text, resolve(text, prompt.sources)[0], "complete",
                                                                 "embedded", "SmolLM2-135M"))
    finally:
        store.close()
        log.close()
    tab = open_page(window, qtbot).examples
    qtbot.waitUntil(lambda: any(r[0] == "Earlier answer" for r in rows(tab.table)), timeout=60_000)
    earlier = [r for r in rows(tab.table) if r[0] == "Earlier answer"]
    assert earlier and all(r[1].endswith("depot?") and "Harbour Road 7" in r[2] for r in earlier)
    assert "earlier answer" in tab.summary.text()
    select(qtbot, tab, "rehearsal", earlier[0][1])
    assert tab.editor.isReadOnly() and not tab.remove_button.isVisible()
    assert "goes on answering other kinds of question" in tab.note.text()
    if shots := os.environ.get("ARCHIVIST_SCREENSHOTS"):
        window.style_page.grab().save(os.path.join(shots, "house-style-rehearsal.png"))
