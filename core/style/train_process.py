"""Training runs in a process of its own: minutes to hours of all cores, several GB of memory and
torch, none of which the window or an answer should share or wait for.

A job is a folder: ``job.json`` (base model, hyper-parameters), ``train.jsonl`` and
``validation.jsonl`` (the turns as the engine will see them), and ``status.json``, which the
training process rewrites after every step (atomically), so that the CLI, the window, or a later
``style status`` in another process all read the same truth. Cancelling (SIGTERM) stops at the next
step boundary with a checkpoint; starting the same job again resumes from it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from core.llm.base import ChatMessage

log = logging.getLogger(__name__)

RUNNING, FINISHED, CANCELLED, FAILED = "running", "finished", "cancelled", "failed"
POLL_S = 0.5


@dataclass(frozen=True)
class Turn:
    """A training example as the engine sees it: the messages it is sent and the answer to learn."""

    system: str
    user: str
    answer: str

    def messages(self) -> list[ChatMessage]:
        return [ChatMessage("system", self.system), ChatMessage("user", self.user)]


class TrainingJob:
    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._process = None

    @classmethod
    def prepare(cls, folder: str | os.PathLike, base_path: str | os.PathLike, train: Sequence, validation: Sequence,
                params) -> "TrainingJob":
        """Write the job. ``train``/``validation`` hold examples with ``messages()`` and ``answer``."""
        job = cls(folder)
        job.folder.mkdir(parents=True, exist_ok=True)
        _write_turns(job.folder / "train.jsonl", train)
        _write_turns(job.folder / "validation.jsonl", validation)
        _write_json(job.folder / "job.json", {"base": os.fspath(base_path), "params": params.to_json()})
        return job

    # -- the parent's side --------------------------------------------------------------------------
    def start(self) -> None:
        from core.parsing.spawn import parser_context

        if self.running():
            raise RuntimeError(f"the training in {self.folder} is already running")
        _write_json(self.folder / "status.json", {"state": RUNNING, "step": 0, "started_at": time.time()})
        self._process = parser_context().Process(target=run_job, args=(os.fspath(self.folder),),
                                                  name="archivist-style-training", daemon=False)
        self._process.start()

    def wait(self, on_status: Callable[[dict], None] = lambda s: None, timeout: float | None = None) -> dict:
        """Relay each new status until the run ends; returns the last one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last = None
        while True:
            alive = self._process is not None and self._process.is_alive()
            status = self.status()
            if status != last:
                on_status(status)
                last = status
            if not alive:
                if self._process is not None:
                    self._process.join()
                    status = self._ended(self._process.exitcode)
                    if status != last:
                        on_status(status)
                return status
            if deadline is not None and time.monotonic() > deadline:
                return status
            time.sleep(POLL_S)

    def cancel(self) -> None:
        if self._process is not None and self._process.is_alive():
            os.kill(self._process.pid, signal.SIGTERM)

    def running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def status(self) -> dict:
        try:
            return json.loads((self.folder / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"state": "not started"}

    def _ended(self, exitcode: int | None) -> dict:
        status = self.status()
        if status.get("state") == RUNNING:  # killed (out of memory, SIGKILL) before it could say so
            status = {**status, "state": FAILED, "error": f"the training process ended unexpectedly (exit {exitcode}); "
                      "start it again to resume from the last checkpoint"}
            _write_json(self.folder / "status.json", status)
        return status


def run_job(folder: str) -> None:
    """The training process: train, rewriting status.json as it goes; SIGTERM cancels."""
    os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF loader draws progress bars
    import core.privacy  # noqa: F401  (spawned: nothing of the parent's set-up is inherited)
    from core.style.base_model import BaseModel
    from core.style.training import Cancelled, HyperParameters, train

    folder_path = Path(folder)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())  # Ctrl-C in a terminal reaches the group
    status = {"state": RUNNING, "step": 0, "pid": os.getpid(), "started_at": time.time()}
    _write_json(folder_path / "status.json", status)
    try:
        job = json.loads((folder_path / "job.json").read_text(encoding="utf-8"))
        params = job["params"]
        params = HyperParameters(**{**params, "target_modules": tuple(params["target_modules"])})
        base = BaseModel.read(job["base"])

        def progress(p) -> None:
            status.update(p.to_json(), state=RUNNING, updated_at=time.time())
            _write_json(folder_path / "status.json", status)

        result = train(base, _read_turns(folder_path / "train.jsonl"), params, folder_path,
                       validation=_read_turns(folder_path / "validation.jsonl"), on_progress=progress,
                       should_stop=stop.is_set)
        status.update(state=FINISHED, adapter=os.fspath(result.adapter_path), steps=result.steps,
                      train_loss=result.train_loss, validation_loss=result.validation_loss,
                      tokens_per_s=result.tokens_per_s, examples_per_s=result.examples_per_s,
                      seconds=result.seconds, resumed_from=result.resumed_from, eta_s=0)
    except Cancelled as exc:
        status.update(state=CANCELLED, step=exc.step, eta_s=None)
    except Exception as exc:  # noqa: BLE001  (the parent shows it; the process ends either way)
        status.update(state=FAILED, error=f"{type(exc).__name__}: {exc}")
        log.error("training failed:\n%s", traceback.format_exc())
    status["updated_at"] = time.time()
    _write_json(folder_path / "status.json", status)


def _write_turns(path: Path, examples: Sequence) -> None:
    lines = []
    for example in examples:
        system, user = example.messages()
        lines.append(json.dumps({"system": system.content, "user": user.content, "answer": example.answer},
                                ensure_ascii=False))
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _read_turns(path: Path) -> list[Turn]:
    return [Turn(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_json(path: Path, value: dict) -> None:
    staging = path.with_name(path.name + ".tmp")
    staging.write_text(json.dumps(value, indent=1), encoding="utf-8")
    os.replace(staging, path)
