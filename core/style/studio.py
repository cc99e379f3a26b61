"""House style, start to finish, for the CLI and the window: gather the examples, train in the
background, keep the result as a version, and apply the active one to the engine that answers.

    examples   the feedback log's approved and corrected answers, the user's imported pairs (kept
               in ``styles/examples/imported.jsonl`` once grounded), refusals, validated and split
    training   one job at a time in ``styles/work/current`` (core/style/train_process.py); a
               finished job is registered as the next version with its manifest
    answering  the active style is applied only on the exact base it was trained on
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import filelock

from core import layout
from core.feedback import FeedbackLog
from core.style import examples as ex, rehearsal
from core.style.base_model import BaseModel
from core.style.errors import StyleError
from core.style.example_set import ExampleSet, assemble
from core.style.manifest import BaseModelRef, StyleManifest, TrainingParameters
from core.style.registry import Style, StyleRegistry
from core.style.train_process import CANCELLED, FAILED, FINISHED, RUNNING, TrainingJob

log = logging.getLogger(__name__)

IMPORTED_FILE = "imported.jsonl"


@dataclass(frozen=True)
class Listed:
    """One example as the user sees it; ``message_id``: the rated answer a feedback example is."""

    example: ex.StyleExample
    message_id: str = ""

    @property
    def editable(self) -> bool:
        return self.example.origin not in ex.MADE  # made by the app, in its own words

    @property
    def removable(self) -> bool:
        return self.example.origin == "imported"  # feedback ones leave with their rating


@dataclass
class ImportReport:
    read: int
    kept: int
    added: int
    problems: list[str]


class NotReady(StyleError):
    """Too few usable examples to train on; ``examples.problems`` say what is missing."""

    def __init__(self, examples: ExampleSet):
        super().__init__("Not enough examples to train on yet.")
        self.examples = examples


def training_parameters(epochs: int | None = None, rank: int | None = None, learning_rate: float | None = None,
                        max_steps: int | None = None):
    """The defaults with the user's choices; alpha stays twice the rank."""
    from core.style.training import HyperParameters

    chosen = {k: v for k, v in (("epochs", epochs), ("rank", rank), ("learning_rate", learning_rate),
                                ("max_steps", max_steps)) if v is not None}
    if "rank" in chosen:
        chosen["alpha"] = 2 * chosen["rank"]
    return HyperParameters(**chosen)


def verdict(style: Style) -> str:
    """The gate's word on a style: "" before it was compared."""
    gate = style.manifest.gate or {}
    if not gate:
        return ""
    if not gate.get("passed"):
        return f"held back: {gate.get('reason', '')}"
    return "passed the comparison" if gate.get("judged", True) else "not judged (too few questions)"


def held_back(style: Style) -> str | None:
    """Why the gate held this style back, or None when it did not (or it was never compared)."""
    gate = style.manifest.gate
    if gate and gate.get("passed") is False:
        return gate.get("reason") or "the comparison with the plain model failed"
    return None


class HouseStyle:
    def __init__(self, data_dir: str | os.PathLike):
        self.data_dir = Path(data_dir)
        self.registry = StyleRegistry(self.data_dir)
        self.root = self.registry.root

    # -- examples ----------------------------------------------------------------------------------
    @property
    def _imported_path(self) -> Path:
        return self.root / "examples" / IMPORTED_FILE

    def imported(self) -> list[ex.StyleExample]:
        try:
            lines = self._imported_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [_example(json.loads(line)) for line in lines if line.strip()]

    def keep_imported(self, new: list[ex.StyleExample]) -> int:
        """Add grounded imported examples (the same question and answer only once); how many were new."""
        with self._examples_lock():
            known = {(e.question, e.answer) for e in self.imported()}
            fresh = [e for e in new if (e.question, e.answer) not in known]
            if fresh:
                with open(self._imported_path, "a", encoding="utf-8") as f:
                    for example in fresh:
                        f.write(json.dumps(_to_json(example), ensure_ascii=False) + "\n")
        return len(fresh)

    def import_file(self, path: str | os.PathLike, archivist, engine, progress: Callable[[int, int], None] | None = None,
                    cancel=None) -> ImportReport:
        """Read a JSONL or CSV file of pairs and keep those the user's documents support.
        ``progress(done, total)`` after each pair; ``cancel`` (an Event) stops after the current one."""
        from core.style.grounding import ground_imported
        from core.style.importing import read_pairs

        pairs, problems = read_pairs(path)
        kept, dropped = ground_imported(pairs, archivist, engine.count_tokens, engine.context_length(), cancel=cancel,
                                        progress=None if progress is None else lambda done: progress(done, len(pairs)))
        added = self.keep_imported(kept)
        return ImportReport(len(pairs), len(kept), added, [str(p) for p in problems + dropped])

    def feedback_examples(self) -> list[tuple[str, ex.StyleExample]]:
        log_ = FeedbackLog(layout.feedback_path(self.data_dir))
        try:
            return ex.feedback_examples(log_)
        finally:
            log_.close()

    def from_feedback(self) -> list[ex.StyleExample]:
        return [example for _, example in self.feedback_examples()]

    def listing(self, count_tokens, context_length: int, minimum: int = ex.MIN_EXAMPLES) -> tuple[list[Listed], ExampleSet]:
        """Every example the user has given (feedback, imported), the refusals made from them and the
        earlier answers rehearsed, with the set ``collect`` makes of them (what is trained on, held
        out, or left out and why)."""
        rated = self.feedback_examples()
        given = [Listed(e, message_id) for message_id, e in rated]
        given += [Listed(e) for e in self.imported()]
        found = self._collect([item.example for item in given], count_tokens, context_length, minimum=minimum)
        made = [Listed(e) for e in found.train + found.validation if e.origin in ex.MADE]
        return given + made, found

    def edit_answer(self, item: Listed, answer: str) -> None:
        """A feedback example becomes the answer's correction (its reason kept); an imported one is
        rewritten in place, checked against its sources as on import."""
        from core.style.grounding import supported_answer

        if not answer.strip():
            raise StyleError("An example needs an answer (remove an imported example instead).")
        if item.message_id:
            log_ = FeedbackLog(layout.feedback_path(self.data_dir))
            try:
                log_.set_ideal(item.message_id, answer.strip(), item.example.reason or None)
            except KeyError:
                raise StyleError("That answer's rating was deleted; refresh the list.") from None
            finally:
                log_.close()
            return
        if item.example.origin == rehearsal.ORIGIN:
            raise StyleError("Earlier answers are rehearsed as the app gave them; rate one down to leave it out.")
        if not item.removable:
            raise StyleError("Refusals are made from your other examples, in the app's own words.")
        try:
            cited = supported_answer(answer, item.example.sources, item.example.question)
        except ValueError as why:
            raise StyleError(f"Not saved: {why}.") from None
        original = item.example.original or item.example.answer
        self._rewrite_imported(item.example, dataclasses.replace(item.example, answer=cited, original=original))

    def remove_imported(self, example: ex.StyleExample) -> None:
        self._rewrite_imported(example, None)

    def _rewrite_imported(self, old: ex.StyleExample, new: ex.StyleExample | None) -> None:
        with self._examples_lock():
            every = self.imported()
            if old not in every:
                raise StyleError("That example changed meanwhile (another window or command); refresh the list.")
            kept = [new if e == old else e for e in every if e != old or new is not None]
            staging = self._imported_path.with_suffix(".partial")
            staging.write_text("".join(json.dumps(_to_json(e), ensure_ascii=False) + "\n" for e in kept),
                               encoding="utf-8")
            os.replace(staging, self._imported_path)

    def _examples_lock(self) -> filelock.FileLock:
        self._imported_path.parent.mkdir(parents=True, exist_ok=True)
        return filelock.FileLock(str(self._imported_path.parent / ".lock"), timeout=30)

    def collect(self, count_tokens, context_length: int, refusal_rate: float | None = None,
                holdout: float = 0.2, minimum: int = ex.MIN_EXAMPLES, seed: int = 0,
                rehearsal_share: float = rehearsal.REHEARSAL_SHARE) -> ExampleSet:
        """Every example there is, validated for this model's window, with refusals and earlier
        answers rehearsed, split."""
        return self._collect(self.from_feedback() + self.imported(), count_tokens, context_length, refusal_rate,
                             holdout, minimum, seed, rehearsal_share)

    def _collect(self, given, count_tokens, context_length: int, refusal_rate: float | None = None,
                 holdout: float = 0.2, minimum: int = ex.MIN_EXAMPLES, seed: int = 0,
                 rehearsal_share: float = rehearsal.REHEARSAL_SHARE) -> ExampleSet:
        return assemble(given, count_tokens, context_length, history=self._history, refusal_rate=refusal_rate,
                        rehearsal_share=rehearsal_share, holdout=holdout, minimum=minimum, seed=seed)

    def _history(self, count: int, skip: set[str]) -> list[ex.StyleExample]:
        log_ = FeedbackLog(layout.feedback_path(self.data_dir))
        try:
            rated = [fb.message_id for fb in log_.list()]  # examples already, or rated down: not rehearsed
        finally:
            log_.close()
        return rehearsal.from_history(self.data_dir, count, skip, rated)

    # -- training ----------------------------------------------------------------------------------
    @property
    def job(self) -> TrainingJob:
        return TrainingJob(self.root / "work" / "current")

    def prepare_training(self, engine, params, minimum: int = ex.MIN_EXAMPLES, base_name: str | None = None,
                         check=None) -> TrainingJob:
        """A job on the built-in ``engine``'s model for every example there is; NotReady when they
        are too few. The same examples and settings as an unfinished run resume it. ``base_name``
        names the base in the manifest (an Ollama model trained through its file); ``check(base,
        examples)`` may refuse the examples (e.g. a prompt Ollama would render otherwise)."""
        found = self.collect(engine.count_tokens, engine.context_length(), minimum=minimum)
        if not found.ready:
            raise NotReady(found)
        base = BaseModel.read(engine.model_path)
        if check is not None:
            check(base, found.train + found.validation)
        return self.prepare(base, base_name or engine.model, params, found, engine.context_length())

    def training_status(self, job: TrainingJob | None = None) -> dict:
        """The job's status.json; a run it says is running whose process is gone (the window, the
        command or the computer went down) is reported failed, so that it can be resumed."""
        job = job or self.job
        status = job.status()
        if status.get("state") == RUNNING and not job.running() and not _training_alive(status):
            status = {**status, "state": FAILED, "error": "the training stopped before it finished; "
                      "start it again to resume from the last checkpoint"}
        return status

    def resumable(self, job: TrainingJob | None = None):
        """The settings of a cancelled or failed run (resuming it needs the same ones), else None."""
        job = job or self.job
        if self.training_status(job).get("state") not in (CANCELLED, FAILED):
            return None
        from core.style.training import HyperParameters

        try:
            params = json.loads((job.folder / "job.json").read_text(encoding="utf-8"))["params"]
            return HyperParameters(**{**params, "target_modules": tuple(params["target_modules"])})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def cancel_training(self, job: TrainingJob | None = None) -> bool:
        """Stop a run at its next step (with a checkpoint), whichever process started it."""
        job = job or self.job
        if job.running():
            job.cancel()
            return True
        status = job.status()
        if status.get("state") != RUNNING or not _training_alive(status):
            return False
        import psutil

        try:
            psutil.Process(status["pid"]).terminate()  # SIGTERM: the run stops at a step boundary
        except (psutil.Error, KeyError):
            return False
        return True

    def prepare(self, base: BaseModel, base_name: str, params, examples: ExampleSet,
                context_length: int) -> TrainingJob:
        """A fresh job for these examples; an unfinished job of the same examples and settings
        keeps its checkpoint (training resumes from it)."""
        folder = self.job.folder
        job_file = folder / "job.json"
        record = {"base_name": base_name, "dataset_sha256": examples.dataset_sha256,
                  "examples_sha256": examples.examples_sha256, "rehearsed": examples.rehearsed,
                  "train_examples": len(examples.train), "validation_examples": len(examples.validation),
                  "context_length": context_length, "counts": examples.counts}
        try:
            previous = json.loads(job_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
        same = (previous.get("base") == os.fspath(base.path) and previous.get("params") == params.to_json()
                and previous.get("record", {}).get("examples_sha256") == examples.examples_sha256)
        if same:  # resumed as it was: new answers in the history since do not restart the run
            return self.job
        shutil.rmtree(folder, ignore_errors=True)
        job = TrainingJob.prepare(folder, base.path, examples.train, examples.validation, params)
        data = json.loads(job_file.read_text(encoding="utf-8"))
        data["record"] = record
        job_file.write_text(json.dumps(data, indent=1), encoding="utf-8")
        return job

    def register_finished(self, job: TrainingJob | None = None, name: str = "house style") -> Style:
        """Keep a finished job's adapter as the next version, with its manifest."""
        job = job or self.job
        status = job.status()
        if status.get("state") != FINISHED:
            raise StyleError(f"the training is not finished ({status.get('state')})")
        spec = json.loads((job.folder / "job.json").read_text(encoding="utf-8"))
        record, params = spec["record"], spec["params"]
        base = BaseModel.read(spec["base"])
        manifest = StyleManifest(
            base=BaseModelRef(record["base_name"], base.path.name, self.registry.digests.sha256(base.path)),
            chat_template=base.template_id, dataset_sha256=record["dataset_sha256"],
            examples_sha256=record.get("examples_sha256", ""), rehearsed=tuple(record.get("rehearsed", ())),
            train_examples=record["train_examples"], validation_examples=record["validation_examples"],
            training=TrainingParameters(rank=params["rank"], alpha=params["alpha"], dropout=params["dropout"],
                                        learning_rate=params["learning_rate"], epochs=params["epochs"],
                                        steps=status["steps"], max_length=record["context_length"],
                                        seed=params["seed"], target_modules=tuple(params["target_modules"])),
            name=name,
            scores={"train_loss": status.get("train_loss"), "validation_loss": status.get("validation_loss"),
                    "tokens_per_s": status.get("tokens_per_s"), "training_seconds": status.get("seconds")})
        style = self.registry.register(status["adapter"], manifest)
        shutil.rmtree(job.folder, ignore_errors=True)
        return style


def _training_alive(status: dict) -> bool:
    """Whether the process status.json names still runs it (not another that got its number)."""
    import psutil

    pid, started = status.get("pid"), status.get("started_at") or 0
    if pid is None:  # just started: the training process has not written its own status yet
        return time.time() - started < 120
    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and abs(process.create_time() - started) < 120
    except psutil.Error:
        return False


def _to_json(example: ex.StyleExample) -> dict:
    data = asdict(example)
    data["sources"] = list(example.sources)
    return data


def _example(data: dict) -> ex.StyleExample:
    return ex.StyleExample(**{**data, "sources": tuple(data.get("sources", ()))})
