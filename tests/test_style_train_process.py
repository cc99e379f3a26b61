"""Training in its own process: progress anyone can read, cancel, a kill, and resume."""

import os
import signal
import time

import pytest

from core.llm.embedded_engine import bundled_model_path
from core.style.train_process import CANCELLED, FAILED, FINISHED, TrainingJob
from core.style.training import HyperParameters
from test_style_training import EXAMPLES

pytestmark = pytest.mark.skipif(bundled_model_path() is None, reason="the bundled SmolLM2 is not installed")

PARAMS = HyperParameters(rank=4, alpha=8, dropout=0.0, learning_rate=1e-3, batch_size=2, warmup_steps=0,
                         epochs=3, max_steps=7, checkpoint_every=2)


def _wait_for_step(job: TrainingJob, step: int, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job.status()
        if status.get("step", 0) >= step:
            return status
        assert job.running(), status
        time.sleep(0.2)
    raise AssertionError(f"step {step} not reached: {job.status()}")


def test_cancel_kill_and_resume(tmp_path):
    job = TrainingJob.prepare(tmp_path / "job", bundled_model_path(), EXAMPLES, EXAMPLES[:1], PARAMS)
    job.start()
    running = _wait_for_step(job, 3)
    assert running["total_steps"] == 7 and running["eta_s"] > 0 and running["tokens_per_s"] > 0
    assert TrainingJob(tmp_path / "job").status()["step"] >= 3  # another process's view of the run
    job.cancel()
    cancelled = job.wait()
    assert cancelled["state"] == CANCELLED and cancelled["step"] >= 3

    job.start()  # resumes from the cancel's checkpoint
    reached = _wait_for_step(job, cancelled["step"] + 2)
    os.kill(job._process.pid, signal.SIGKILL)  # out of memory, a power cut: no chance to say goodbye
    killed = job.wait()
    assert killed["state"] == FAILED and "resume" in killed["error"]

    job.start()
    seen = []
    done = job.wait(on_status=seen.append)
    assert done["state"] == FINISHED, done
    # The status a user saw before the kill names the checkpoint the resume starts from.
    assert reached["saved_step"] >= cancelled["step"] and reached["saved_step"] <= done["resumed_from"] <= reached["step"] + 1
    assert done["steps"] == 7
    assert os.path.isfile(done["adapter"]) and done["validation_loss"] > 0
    assert seen and all(s["state"] in ("running", FINISHED) for s in seen)
