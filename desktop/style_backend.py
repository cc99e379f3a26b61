"""The window's side of the house style (core/style/studio.py): examples, training, versions, compare.

Core calls run on the task workers (desktop/tasks.py). Training runs in a process of its own
(core/style/train_process.py); a QTimer reads its status file twice a second (a few hundred bytes,
the one core read done on the GUI thread: a worker round trip would cost more than the read) and
finishes the run when its process ends. It outlives the House style page: closing the page leaves
the run going, quitting Archivist stops it at a step boundary with a checkpoint (Resume continues).
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from core.style.examples import MIN_EXAMPLES
from desktop.tasks import Tasks

log = logging.getLogger(__name__)

POLL_MS = 500


class StyleBackend(QObject):
    examples_listed = Signal(list, object)  # [studio.Listed], studio.ExampleSet
    base_named = Signal(str)  # the built-in model styles are trained on now, as the user knows it
    examples_failed = Signal(str)  # why the examples could not be read (no built-in engine, …)
    import_progress = Signal(int, int)  # pairs checked, pairs in the file
    imported = Signal(object)  # studio.ImportReport
    styles_listed = Signal(list, object, bool)  # [registry.Style], the active one or None, can revert
    training = Signal(dict)  # status.json as it changes (core/style/train_process.py)
    not_ready = Signal(list)  # problems (str): too few examples to train on
    registered = Signal(object)  # registry.Style: a finished run kept as the next version
    compare_token = Signal(str, str)  # side ("base" | "styled"), piece
    compared = Signal(object)  # side_by_side.SideBySide
    compare_failed = Signal(str)
    message = Signal(str, str)  # text, kind (info | warning | error): for the page's notice line

    def __init__(self, tasks: Tasks, index, answers, parent: QObject | None = None):
        super().__init__(parent)
        from core.style.studio import HouseStyle

        self.tasks, self.index, self.answers = tasks, index, answers
        self.studio = HouseStyle(index.settings.data_dir)
        self.minimum = MIN_EXAMPLES  # fewer usable examples than this are too few to train on
        self.job = None  # the TrainingJob this window started (None: none, or another process's)
        self.last_status: dict = {}
        self._engine = None  # the built-in engine whose tokenizer and window the examples are fitted to
        self._engine_lock = threading.Lock()
        self._import_cancel: threading.Event | None = None
        self._compare_cancel: threading.Event | None = None
        self._check_cancel: threading.Event | None = None  # the comparison after training
        self._registering = False
        self._listings = self._style_listings = 0  # only the latest listing is shown
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)

    # -- the model a style is trained on ----------------------------------------------------------

    def base_choice(self) -> str | None:
        """The built-in model chosen in the model picker, else the default built-in one: a style is
        trained on the exact weights that will answer with it."""
        return (self.answers.model or None) if self.answers.preference == "embedded" else None

    def engine(self):
        """The built-in engine for ``base_choice`` (call on a worker: it may load the model)."""
        from core.llm.embedded_engine import EmbeddedEngine

        with self._engine_lock:
            wanted = self.base_choice()
            if self._engine is None or self._engine.requested != wanted:
                if self._engine is not None:
                    self._engine.close()
                self._engine = None
                engine = EmbeddedEngine(wanted)
                engine.check()  # EngineUnavailable says what to install
                self._engine = engine
            return self._engine

    def release_engine(self) -> None:
        """The page closed: give back the model's memory (a later listing loads it again)."""
        def release():
            with self._engine_lock:
                if self._engine is not None:
                    self._engine.close()
        self.tasks.run(release, None, "closing the house-style model")

    # -- examples ---------------------------------------------------------------------------------

    def list_examples(self) -> None:
        self._listings += 1
        listing_number, minimum = self._listings, self.minimum

        def listing():
            engine = self.engine()
            self.tasks.gui(lambda: self.base_named.emit(engine.model))
            return self.studio.listing(engine.count_tokens, engine.context_length(), minimum)

        def listed(found) -> None:
            if listing_number == self._listings:  # an earlier listing that ends later is out of date
                self.examples_listed.emit(*found)
        self.tasks.run(listing, listed, "reading the examples",
                       on_error=lambda exc: self.examples_failed.emit(str(exc) or type(exc).__name__))

    def import_file(self, path: str) -> None:
        if self.index.archivist is None:
            self.message.emit("The index is still opening; import again in a moment.", "warning")
            return
        self._import_cancel = cancel = threading.Event()
        progress = lambda done, total: self.tasks.gui(lambda: self.import_progress.emit(done, total))  # noqa: E731
        self.tasks.run(lambda: self.studio.import_file(path, self.index.archivist, self.engine(), progress, cancel),
                       self._imported, "importing examples", on_error=self._import_failed)

    def stop_import(self) -> None:
        if self._import_cancel is not None:
            self._import_cancel.set()

    def _imported(self, report) -> None:
        self._import_cancel = None
        self.imported.emit(report)
        self.list_examples()

    def _import_failed(self, exc: Exception) -> None:
        self._import_cancel = None
        self.message.emit(f"The file could not be imported: {exc}", "error")
        self.imported.emit(None)

    def edit_answer(self, item, answer: str) -> None:
        self._change(lambda: self.studio.edit_answer(item, answer), "Example saved.", "saving the example")

    def remove_example(self, item) -> None:
        self._change(lambda: self.studio.remove_imported(item.example), "Example removed.", "removing the example")

    def _change(self, fn, done: str, what: str) -> None:
        def changed(_):
            self.message.emit(done, "info")
            self.list_examples()
        self.tasks.run(fn, changed, what, on_error=lambda exc: self.message.emit(str(exc), "error"))

    # -- versions ---------------------------------------------------------------------------------

    def list_styles(self) -> None:
        registry = self.studio.registry
        self._style_listings += 1
        listing_number = self._style_listings

        def read():
            return registry.list(), registry.active(), registry.can_revert()

        def listed(found) -> None:
            if listing_number == self._style_listings:
                self.styles_listed.emit(*found)
        self.tasks.run(read, listed, "listing the house styles", on_error=lambda exc: self.message.emit(str(exc), "error"))

    def use(self, version: int | None) -> None:
        self._switch(lambda: self.studio.registry.use(version),
                     lambda style: f"Answers now use {style.label}." if style else "Answers now use no house style.")

    def revert(self) -> None:
        self._switch(self.studio.registry.revert,
                     lambda style: f"Back to {style.label}." if style else "Back to no house style.")

    def _switch(self, fn, said) -> None:
        """Switch, then register the style with Ollama when answers come from it: a style switched on
        must change the answers, whichever engine gives them."""
        from core.llm.select import split_model
        from core.style.ollama_sync import register_active

        preference, (ollama_model, _) = self.answers.preference, split_model(self.answers.model)

        def switch():
            style = fn()
            if style is None or preference == "embedded":
                return style, None
            return style, register_active(style, self.studio.registry.digests, model=ollama_model,
                                          required=preference == "ollama" or bool(ollama_model))

        def done(result) -> None:
            style, outcome = result
            extra = outcome if outcome is not None and outcome.message else None
            self.message.emit(said(style) + (f" {extra.message}" if extra else ""), extra.kind if extra else "info")
            self.list_styles()
        self._registry_call(switch, done)

    def remove_style(self, version: int, force: bool = False) -> None:
        from core.style.ollama_sync import forget_in_ollama, registered_models

        def remove():
            models = registered_models(self.studio.registry.get(version))
            self.studio.registry.remove(version, force=force)
            return forget_in_ollama(models)

        def done(outcomes) -> None:
            stays = [o.message for o in outcomes if not o.ok]
            self.message.emit(" ".join([f"Removed v{version}."] + [s[0].upper() + s[1:] + "." for s in stays]),
                              "warning" if stays else "info")
            self.list_styles()
        self._registry_call(remove, done)

    def _registry_call(self, fn, on_done) -> None:
        self.tasks.run(fn, on_done, "changing the house style", on_error=lambda exc: self.message.emit(str(exc), "error"))

    # -- training ---------------------------------------------------------------------------------

    def train(self, params=None, resume: bool = False) -> None:
        """Start a run with these settings (None: the defaults), or resume the last one with its
        own; ``training`` reports it from then on."""
        from core.style.studio import NotReady, training_parameters

        if self.training_active():
            return
        self.last_status = {"state": "preparing"}
        self.training.emit(self.last_status)

        def start():
            chosen = (self.studio.resumable(self.job) if resume else None) or params or training_parameters()
            job = self.studio.prepare_training(self.engine(), chosen, self.minimum)
            job.start()
            return job

        def failed(exc: Exception) -> None:
            self.last_status = {}
            self.training.emit(self.status_now())
            if isinstance(exc, NotReady):
                self.not_ready.emit([str(p) for p in exc.examples.problems])
            else:
                self.message.emit(f"Training could not start: {exc}", "error")
        self.tasks.run(start, self._started, "starting the training", on_error=failed)

    def _started(self, job) -> None:
        self.job = job
        self.last_status = {}  # no longer preparing: the run's own status from now on
        self.timer.start()
        self.poll()

    def cancel_training(self) -> None:
        job = self.job
        self.tasks.run(lambda: self.studio.cancel_training(job), None, "stopping the training")

    def training_active(self) -> bool:
        return self.last_status.get("state") in ("preparing", "running") or self._registering

    def status_now(self) -> dict:
        """The run's status (the small file read; see the module docstring)."""
        if self.job is not None:
            return self.job.wait(timeout=0)  # also notices our process has ended, and how
        return self.studio.training_status()

    def watch(self) -> None:
        """Report the run's state now, and follow it while it runs (another process's too)."""
        self.poll()
        if self.last_status.get("state") == "running":
            self.timer.start()

    def poll(self) -> None:
        if self.last_status.get("state") == "preparing" or self._registering:
            return
        status = self.status_now()
        changed = status != self.last_status
        self.last_status = status
        if status.get("state") != "running":
            self.timer.stop()
            if status.get("state") == "finished" and self.job is not None:
                self._register()
                return
        if changed:
            self.training.emit(status)

    def _register(self) -> None:
        job, self.job = self.job, None
        self._registering = True
        self.training.emit({**self.last_status, "state": "registering"})

        def done(style) -> None:
            self._registering = False
            self.last_status = {}
            self.training.emit(self.status_now())
            self.registered.emit(style)
            self.list_styles()
            self.check(style.version)

        def failed(exc: Exception) -> None:
            self._registering = False
            self.message.emit(f"The trained style could not be kept: {exc}", "error")
            self.training.emit(self.status_now())
        def register():
            job.wait()  # the process has said it finished: let it exit before its folder goes
            return self.studio.register_finished(job)
        self.tasks.run(register, done, "keeping the trained style", on_error=failed)

    # -- the gate ---------------------------------------------------------------------------------

    @property
    def checking(self) -> bool:
        return self._check_cancel is not None

    def check(self, version: int) -> None:
        """What `style train` does after training: compare the style with the plain model on held-out
        examples and the user's earlier questions, and keep the gate's verdict (core/style/gate.py) in
        its manifest, where the Styles list shows it and Use asks before a held-back style answers."""
        from core.style.evaluation import check_after_training
        from core.style.studio import verdict

        if self.index.archivist is None:
            self.message.emit(f"v{version} was not compared: the index is not open.", "warning")
            return
        self._check_cancel = cancel = threading.Event()
        label = f"house style v{version}"

        def step(which: str, done: int, total: int, _run) -> None:
            if cancel.is_set():
                raise _Stopped
            side = "plain model" if which == "base" else label
            self.tasks.gui(lambda: self.message.emit(
                f"Comparing {label} with the plain model: {side}, {done} of {total} answers…", "info"))

        def run():
            style = self.studio.registry.get(version)
            return check_after_training(self.studio, self.index.archivist, style, progress=step).style

        def done(style) -> None:
            self._check_cancel = None
            self.message.emit(f"{capitalised(style.label)} compared with the plain model: {verdict(style)}.",
                              "info" if style.manifest.gate.get("passed") else "warning")
            self.list_styles()

        def failed(exc: Exception) -> None:
            self._check_cancel = None
            if not isinstance(exc, _Stopped):
                self.message.emit(f"{capitalised(label)} was not compared: {exc}", "warning")
                self.list_styles()
        self.message.emit(f"Comparing {label} with the plain model on held-out examples and your earlier "
                          "questions…", "info")
        self.tasks.run(run, done, f"comparing {label}", on_error=failed)

    # -- compare ----------------------------------------------------------------------------------

    def compare(self, question: str, version: int, strength: float = 1.0) -> None:
        from core.style.side_by_side import answer_both

        if self.index.archivist is None:
            self.compare_failed.emit("The index is still opening; compare again in a moment.")
            return
        self._compare_cancel = cancel = threading.Event()

        def run():
            style = self.studio.registry.get(version)
            return answer_both(self.index.archivist, self.studio.registry, style, question, strength=strength,
                               strict=self.answers.strict, cancel=cancel,
                               on_token=lambda side, piece: self.tasks.gui(lambda: self.compare_token.emit(side, piece)))

        def failed(exc: Exception) -> None:
            self._compare_cancel = None
            self.compare_failed.emit(str(exc) or type(exc).__name__)

        def done(result) -> None:
            self._compare_cancel = None
            self.compared.emit(result)
        self.tasks.run(run, done, "comparing", on_error=failed)

    def stop_compare(self) -> None:
        if self._compare_cancel is not None:
            self._compare_cancel.set()

    # -- quitting ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Quitting: the run stops at its next step with a checkpoint; nothing else waits."""
        self.timer.stop()
        for cancel in (self._import_cancel, self._compare_cancel, self._check_cancel):
            if cancel is not None:
                cancel.set()
        if self.job is not None and self.job.running():
            self.job.cancel()
        with self._engine_lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None


class _Stopped(Exception):
    """The window is closing: the comparison stops after the answer it is writing."""


def capitalised(text: str) -> str:
    """A label at the start of a sentence: "House style v1 …"."""
    return text[:1].upper() + text[1:]
