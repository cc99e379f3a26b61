"""Train a LoRA adapter on exactly the weights that answer: the base GGUF, dequantised to fp32.

The prompt of every training example is rendered by the same ChatFormat the engine serves with and
tokenised alone, as the engine tokenises it; the target is the answer plus the end-of-turn token
the engine stops at. The loss covers the answer only. Serving and training prompts are therefore
byte-identical, which is what most failed fine-tunes get wrong (OLLAMA_AND_LORA.md §6).

A plain loop over PEFT rather than a trainer framework: one example per forward pass with gradient
accumulation (no padding: on a CPU every padded token is paid for), a measured-rate ETA, a cancel
that keeps a checkpoint, and a resume that continues from it, in ~250 lines we control.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Protocol, Sequence

from core.llm.base import ChatMessage
from core.style.base_model import BaseModel
from core.style.gguf_adapter import TARGET_MODULES, write_gguf_adapter

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint"
BIG_BASE_PARAMETERS = 1_000_000_000


class Example(Protocol):
    answer: str

    def messages(self) -> list[ChatMessage]: ...


@dataclass(frozen=True)
class HyperParameters:
    """Defaults sized for 50–500 examples on a CPU: r 16 with alpha 2r on every linear projection
    of attention and MLP (LoRA learns less and forgets less than full tuning; Biderman et al. 2024),
    a learning rate for LoRA rather than full tuning, three epochs."""

    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    learning_rate: float = 2e-4
    epochs: int = 3
    batch_size: int = 4  # examples per optimiser step, one forward pass each
    warmup_steps: int = 5
    seed: int = 0
    checkpoint_every: int = 10  # optimiser steps
    max_steps: int | None = None  # stop early (tests, quick trials)
    target_modules: tuple[str, ...] = TARGET_MODULES
    # Recompute each layer's activations in the backward pass instead of keeping them: about a
    # third slower, and memory no longer grows with the layers. None: on for bases of a billion
    # parameters or more, whose fp32 weights alone take 4 GB or more.
    gradient_checkpointing: bool | None = None

    def to_json(self) -> dict:
        return {**asdict(self), "target_modules": list(self.target_modules)}


@dataclass
class Progress:
    step: int
    total_steps: int
    loss: float
    tokens: int  # trained this run (answer and prompt tokens both pass through the model)
    tokens_per_s: float
    examples_per_s: float
    eta_s: float | None
    saved_step: int = 0  # the last checkpoint on disk: what a kill now would resume from

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    adapter_path: Path
    steps: int
    train_loss: float
    validation_loss: float | None
    tokens_per_s: float
    examples_per_s: float
    seconds: float
    resumed_from: int = 0
    losses: list[float] = field(default_factory=list)


class Cancelled(Exception):
    """Training stopped on request; the checkpoint it left lets it resume."""

    def __init__(self, step: int):
        super().__init__(f"cancelled after step {step}; resume continues from there")
        self.step = step


@dataclass(frozen=True)
class _Tokenized:
    prompt: list[int]
    answer: list[int]


def train(base: BaseModel, examples: Sequence[Example], params: HyperParameters, work_dir: Path,
          validation: Sequence[Example] = (), on_progress: Callable[[Progress], None] = lambda p: None,
          should_stop: Callable[[], bool] = lambda: False) -> TrainResult:
    """Train, checkpointing into ``work_dir`` (resuming from a checkpoint found there), and write
    the adapter to ``work_dir/adapter.gguf``. Raises Cancelled when ``should_stop`` says so."""
    import torch
    from peft import LoraConfig, get_peft_model

    started = time.perf_counter()
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(params.seed)
    tokenizer, model = load_for_training(base)
    train_set = tokenize(examples, base, tokenizer)
    held_out = tokenize(validation, base, tokenizer)
    if not train_set:
        raise ValueError("no training examples")
    config = LoraConfig(r=params.rank, lora_alpha=params.alpha, lora_dropout=params.dropout,
                        target_modules=list(params.target_modules), bias="none", task_type="CAUSAL_LM",
                        use_rslora=False, use_dora=False)
    with warnings.catch_warnings():  # PEFT asks transformers a deprecated question; nothing to act on
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        if _checkpointing(params, model):
            model.config.use_cache = False
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        model = get_peft_model(model, config)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=params.learning_rate, weight_decay=0.0)
    steps_per_epoch = math.ceil(len(train_set) / params.batch_size)
    total = steps_per_epoch * params.epochs
    if params.max_steps is not None:
        total = min(total, params.max_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _warmup_then_linear(params.warmup_steps, total))
    fingerprint = _fingerprint(base, train_set, params)
    step, losses = _resume(work_dir / CHECKPOINT, fingerprint, model, optimizer, schedule)
    resumed_from = saved_step = step

    # Tokens each step will pass through the model: the ETA is the tokens left at the measured rate.
    step_tokens = [sum(len(e.prompt) + len(e.answer) for e in _batch(train_set, s, steps_per_epoch, params))
                   for s in range(total)]
    model.train()
    tokens_done, examples_done, run_started = 0, 0, time.perf_counter()
    while step < total:
        if should_stop():
            _save_checkpoint(work_dir / CHECKPOINT, fingerprint, step, losses, model, optimizer, schedule)
            raise Cancelled(step)
        batch = _batch(train_set, step, steps_per_epoch, params)
        step_loss = 0.0
        for example in batch:
            loss = _loss(model, example, torch) / len(batch)
            loss.backward()
            step_loss += float(loss.detach())
            tokens_done += len(example.prompt) + len(example.answer)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        examples_done += len(batch)
        losses.append(round(step_loss, 4))
        if step % params.checkpoint_every == 0 and step < total:
            # Saved before the step is reported, so a step anyone sees is never lost to a kill
            # that comes while its checkpoint is still being written.
            _save_checkpoint(work_dir / CHECKPOINT, fingerprint, step, losses, model, optimizer, schedule)
            saved_step = step
        elapsed = time.perf_counter() - run_started
        rate = tokens_done / elapsed if elapsed > 0 else 0.0
        remaining = sum(step_tokens[step:])
        on_progress(Progress(step, total, step_loss, tokens_done, rate, examples_done / elapsed if elapsed else 0.0,
                             remaining / rate if rate > 0 else None, saved_step))

    validation_loss = _mean_loss(model, held_out, torch) if held_out else None
    adapter = write_gguf_adapter(_lora_tensors(model), params.alpha, base, work_dir / "adapter.gguf")
    elapsed = time.perf_counter() - run_started
    return TrainResult(adapter, step, _mean(losses[-max(1, steps_per_epoch):]), validation_loss,
                       tokens_done / elapsed if elapsed else 0.0, examples_done / elapsed if elapsed else 0.0,
                       time.perf_counter() - started, resumed_from, losses)


def load_for_training(base: BaseModel):
    """The tokenizer and the model from the GGUF itself, dequantised to fp32 (training in fp16 or
    bf16 on a CPU fails or does nothing), made trainable."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.set_num_threads(os.cpu_count() or 1)
    folder, name = str(base.path.parent), base.path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # transformers marks a GGUF-loaded model as quantised and refuses to train it, although its
    # weights are plain fp32 once loaded (OLLAMA_AND_LORA.md §3.2).
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if torch.cuda.is_available():
        model = model.to("cuda")
    return tokenizer, model


def tokenize(examples: Sequence[Example], base: BaseModel, tokenizer) -> list[_Tokenized]:
    chat_format = base.chat_format
    out = []
    for example in examples:
        prompt = chat_format.render(example.messages())
        answer = example.answer.strip() + base.end_of_turn
        out.append(_Tokenized(tokenizer(prompt, add_special_tokens=False)["input_ids"],
                              tokenizer(answer, add_special_tokens=False)["input_ids"]))
    return out


def _checkpointing(params: HyperParameters, model) -> bool:
    if params.gradient_checkpointing is not None:
        return params.gradient_checkpointing
    return sum(p.numel() for p in model.parameters()) >= BIG_BASE_PARAMETERS


def _loss(model, example: _Tokenized, torch):
    """The mean loss over the answer's tokens (the answer alone is learnt). Only the positions
    that predict them get logits: the prompt's, most of the tokens with the sources, would cost
    a vocabulary-sized row each (150k floats for Qwen2.5: GBs per example) and be thrown away."""
    if not example.prompt or not example.answer:
        raise ValueError("an example needs a prompt and an answer")
    ids = torch.tensor([example.prompt + example.answer], device=model.device)
    logits = model(input_ids=ids, logits_to_keep=len(example.answer) + 1).logits[0, :-1]
    return torch.nn.functional.cross_entropy(logits.float(), torch.tensor(example.answer, device=model.device))


def _mean_loss(model, examples: list[_Tokenized], torch) -> float:
    model.eval()
    with torch.no_grad():
        value = _mean([float(_loss(model, e, torch)) for e in examples])
    model.train()
    return value


def _batch(train_set: list[_Tokenized], step: int, steps_per_epoch: int, params: HyperParameters):
    """The examples of optimiser step ``step``: each epoch in its own seeded order, so a resumed
    run sees exactly the batches the first one would have."""
    epoch, index = divmod(step, steps_per_epoch)
    order = list(range(len(train_set)))
    random.Random(params.seed * 1000 + epoch).shuffle(order)
    chosen = order[index * params.batch_size:(index + 1) * params.batch_size]
    return [train_set[i] for i in chosen]


def _warmup_then_linear(warmup: int, total: int):
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))
    return factor


def _lora_tensors(model) -> dict:
    from peft import get_peft_model_state_dict

    return {k: v.detach().float().cpu().numpy() for k, v in get_peft_model_state_dict(model, save_embedding_layers=False).items()}


def _fingerprint(base: BaseModel, train_set: list[_Tokenized], params: HyperParameters) -> str:
    """What a checkpoint belongs to: resuming with other data, settings or base starts afresh."""
    import hashlib

    digest = hashlib.sha256(json.dumps([params.to_json(), str(base.path), os.path.getsize(base.path)],
                                       sort_keys=True).encode())
    for example in train_set:
        digest.update(json.dumps([example.prompt, example.answer]).encode())
    return digest.hexdigest()


def _save_checkpoint(folder: Path, fingerprint: str, step: int, losses: list[float], model, optimizer,
                     schedule) -> None:
    """Written beside the previous one and swapped in, so a crash mid-write leaves the old one."""
    import torch
    from safetensors.torch import save_file

    from peft import get_peft_model_state_dict

    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in get_peft_model_state_dict(model, save_embedding_layers=False).items()},
              str(staging / "adapter.safetensors"))
    torch.save({"optimizer": optimizer.state_dict(), "schedule": schedule.state_dict()}, staging / "optimizer.pt")
    (staging / "state.json").write_text(json.dumps({"fingerprint": fingerprint, "step": step, "losses": losses}))
    retired = folder.with_name(folder.name + ".old")
    shutil.rmtree(retired, ignore_errors=True)
    if folder.exists():
        os.replace(folder, retired)
    os.replace(staging, folder)
    shutil.rmtree(retired, ignore_errors=True)
    log.info("checkpoint at step %d", step)


def _resume(folder: Path, fingerprint: str, model, optimizer, schedule) -> tuple[int, list[float]]:
    if not folder.is_dir() and folder.with_name(folder.name + ".old").is_dir():
        folder = folder.with_name(folder.name + ".old")  # a crash between the two renames
    try:
        state = json.loads((folder / "state.json").read_text())
    except (OSError, ValueError):
        return 0, []
    if state.get("fingerprint") != fingerprint:
        log.info("the checkpoint in %s is of another run; starting afresh", folder)
        return 0, []
    import torch
    from safetensors.torch import load_file

    from peft import set_peft_model_state_dict

    set_peft_model_state_dict(model, load_file(str(folder / "adapter.safetensors")))
    saved = torch.load(folder / "optimizer.pt", weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    log.info("resuming from step %d", state["step"])
    return int(state["step"]), list(state.get("losses", []))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
