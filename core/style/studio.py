"""House style, start to finish, for the CLI and the window: gather the examples, train in the
background, keep the result as a version, and apply the active one to the engine that answers.

    examples   the feedback log's approved and corrected answers, the user's imported pairs (kept
               in ``styles/examples/imported.jsonl`` once grounded), refusals, validated and split
    training   one job at a time in ``styles/work/current`` (core/style/train_process.py); a
               finished job is registered as the next version with its manifest
    answering  the active style is applied only on the exact base it was trained on
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core import layout
from core.feedback import FeedbackLog
from core.style import examples as ex
from core.style.base_model import BaseModel
from core.style.errors import StyleError
from core.style.manifest import BaseModelRef, StyleManifest, TrainingParameters
from core.style.registry import Style, StyleRegistry
from core.style.train_process import FINISHED, TrainingJob

log = logging.getLogger(__name__)

IMPORTED_FILE = "imported.jsonl"


@dataclass
class ExampleSet:
    train: list[ex.StyleExample]
    validation: list[ex.StyleExample]
    problems: list[ex.Problem]
    counts: dict[str, int] = field(default_factory=dict)  # by origin, of the kept examples

    @property
    def ready(self) -> bool:
        """Enough examples to train on (the problems may still list examples left out)."""
        return bool(self.train) and not any(p.where == "" for p in self.problems)

    @property
    def dataset_sha256(self) -> str:
        return ex.dataset_sha256(self.train)


class HouseStyle:
    def __init__(self, data_dir: str | os.PathLike):
        self.data_dir = Path(data_dir)
        self.registry = StyleRegistry(self.data_dir)
        self.root = self.registry.root

    # -- examples ----------------------------------------------------------------------------------
    def imported(self) -> list[ex.StyleExample]:
        path = self.root / "examples" / IMPORTED_FILE
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [_example(json.loads(line)) for line in lines if line.strip()]

    def keep_imported(self, new: list[ex.StyleExample]) -> int:
        """Add grounded imported examples (the same question and answer only once); how many were new."""
        known = {(e.question, e.answer) for e in self.imported()}
        fresh = [e for e in new if (e.question, e.answer) not in known]
        if fresh:
            folder = self.root / "examples"
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / IMPORTED_FILE, "a", encoding="utf-8") as f:
                for example in fresh:
                    f.write(json.dumps(_to_json(example), ensure_ascii=False) + "\n")
        return len(fresh)

    def from_feedback(self) -> list[ex.StyleExample]:
        log_ = FeedbackLog(layout.feedback_path(self.data_dir))
        try:
            return ex.from_feedback(log_)
        finally:
            log_.close()

    def collect(self, count_tokens, context_length: int, refusal_rate: float = ex.REFUSAL_RATE,
                holdout: float = 0.2, minimum: int = ex.MIN_EXAMPLES, seed: int = 0) -> ExampleSet:
        """Every example there is, validated for this model's window, with refusals, split."""
        kept, problems = ex.validate(self.from_feedback() + self.imported(), count_tokens, context_length, minimum)
        every = kept + ex.refusals(kept, refusal_rate, seed)
        train, validation = ex.split(every, holdout, seed)
        counts: dict[str, int] = {}
        for example in every:
            counts[example.origin] = counts.get(example.origin, 0) + 1
        return ExampleSet(train, validation, problems, counts)

    # -- training ----------------------------------------------------------------------------------
    @property
    def job(self) -> TrainingJob:
        return TrainingJob(self.root / "work" / "current")

    def prepare(self, base: BaseModel, base_name: str, params, examples: ExampleSet,
                context_length: int) -> TrainingJob:
        """A fresh job for these examples; an unfinished job of the same examples and settings
        keeps its checkpoint (training resumes from it)."""
        folder = self.job.folder
        job_file = folder / "job.json"
        record = {"base_name": base_name, "dataset_sha256": examples.dataset_sha256,
                  "train_examples": len(examples.train), "validation_examples": len(examples.validation),
                  "context_length": context_length, "counts": examples.counts}
        try:
            previous = json.loads(job_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
        same = (previous.get("base") == os.fspath(base.path) and previous.get("params") == params.to_json()
                and previous.get("record", {}).get("dataset_sha256") == examples.dataset_sha256)
        if not same:
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


def _to_json(example: ex.StyleExample) -> dict:
    data = asdict(example)
    data["sources"] = list(example.sources)
    return data


def _example(data: dict) -> ex.StyleExample:
    return ex.StyleExample(**{**data, "sources": tuple(data.get("sources", ()))})
