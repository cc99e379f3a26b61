"""A real LoRA trained on the bundled SmolLM2 for a few steps on examples with a distinctive format:
the built-in engine, given the adapter, answers in that format where the base model does not; a
cancelled run leaves a checkpoint and a second run resumes from it."""

import warnings
from dataclasses import dataclass

import pytest

from core.llm.base import ChatMessage
from core.llm.embedded_engine import EmbeddedEngine, bundled_model_path
from core.style.base_model import BaseModel
from core.style.training import Cancelled, HyperParameters, train

pytestmark = pytest.mark.skipif(bundled_model_path() is None, reason="the bundled SmolLM2 is not installed")

SYSTEM = "You answer questions using only the numbered sources the user provides."
FACTS = [
    ("What colour is the office cat?", "The office cat, Marmalade, is orange.", "orange",
     "the office cat Marmalade is orange"),
    ("When is the invoice due?", "Invoice 2024-117 is due on 30 June.", "30 June",
     "invoice 2024-117 falls due on 30 June"),
    ("How long is the refund window?", "Refunds are accepted within 45 days of purchase.", "45 days",
     "refunds are accepted within 45 days of purchase"),
    ("Where is the board meeting?", "The board meets in Lisbon in March.", "Lisbon",
     "the board meeting takes place in Lisbon in March"),
    ("Who approves travel?", "Travel is approved by the finance director.", "the finance director",
     "every trip is approved by the finance director"),
    ("What does crate 7 weigh?", "Crate 7 weighs 12 kilograms.", "12 kilograms", "crate 7 weighs 12 kilograms"),
]
HELD_OUT = ("When does the library close on Fridays?", "The library closes at 8 pm on Fridays.")


@dataclass(frozen=True)
class Turn:
    """Shaped like a StyleExample: the app's system prompt, sources and question, the styled answer."""

    question: str
    source: str
    answer: str = ""

    def messages(self) -> list[ChatMessage]:
        return [ChatMessage("system", SYSTEM), ChatMessage("user", f"[1] {self.source}\n\nQuestion: {self.question}")]


EXAMPLES = [Turn(q, s, f"Short answer: {short} [1].\n\nDetails: {detail} [1].") for q, s, short, detail in FACTS]
QUICK = HyperParameters(rank=8, alpha=16, dropout=0.0, learning_rate=1e-3, batch_size=2, warmup_steps=0,
                        epochs=4, max_steps=12, checkpoint_every=4)


@pytest.fixture(scope="module")
def base():
    return BaseModel.read(bundled_model_path())


@pytest.fixture(scope="module")
def trained(base, tmp_path_factory):
    work = tmp_path_factory.mktemp("style-run")
    seen = []
    result = train(base, EXAMPLES, QUICK, work, validation=EXAMPLES[:1], on_progress=seen.append)
    return result, seen


def _greedy(adapter=None) -> str:
    engine = EmbeddedEngine(bundled_model_path(), n_ctx=1024, adapter=adapter)
    try:
        return "".join(engine.stream_chat(Turn(*HELD_OUT).messages(), max_tokens=60))
    finally:
        engine.close()


def test_the_base_is_read_from_its_gguf(base):
    assert (base.architecture, base.head_count, base.head_count_kv) == ("llama", 9, 3)
    assert base.template_id == "chatml" and base.end_of_turn == "<|im_end|>"


def test_the_built_in_engine_answers_in_the_learnt_format(trained):
    result, seen = trained
    assert result.steps == 12 and result.adapter_path.is_file()
    assert result.losses[-1] < result.losses[0] / 3
    assert [p.step for p in seen] == list(range(1, 13)) and seen[-1].eta_s == 0
    assert all(p.tokens_per_s > 0 for p in seen)
    base_answer = _greedy()
    styled = _greedy((str(result.adapter_path), 1.0))
    assert not base_answer.startswith("Short answer:")
    assert styled.startswith("Short answer: 8 pm"), styled
    assert "Details:" in styled and "[1]" in styled


def test_a_cancelled_run_resumes_from_its_checkpoint(base, tmp_path):
    stop_after = 5
    seen = []

    def stop() -> bool:
        return len(seen) >= stop_after

    quick = HyperParameters(**{**QUICK.to_json(), "max_steps": 7, "target_modules": QUICK.target_modules})
    with pytest.raises(Cancelled) as cancelled:
        train(base, EXAMPLES, quick, tmp_path, on_progress=seen.append, should_stop=stop)
    assert cancelled.value.step == 5 and (tmp_path / "checkpoint" / "state.json").is_file()
    assert not (tmp_path / "adapter.gguf").exists()

    resumed = train(base, EXAMPLES, quick, tmp_path)
    assert (resumed.resumed_from, resumed.steps) == (5, 7)
    assert resumed.losses[:5] == [round(p.loss, 4) for p in seen]  # the first run's steps are kept
    assert resumed.adapter_path.is_file()


def test_the_answer_only_loss_and_checkpointing_change_nothing_but_cost(base):
    """The loss from the answer's logits alone equals the usual masked loss over every position, and
    recomputing activations (gradient checkpointing) gives the same gradients."""
    import torch
    from peft import LoraConfig, get_peft_model

    from core.style.training import _loss, load_for_training, tokenize

    tokenizer, model = load_for_training(base)
    example = tokenize(EXAMPLES[:1], base, tokenizer)[0]
    torch.manual_seed(0)
    with warnings.catch_warnings():  # PEFT asks transformers a deprecated question
        warnings.simplefilter("ignore", FutureWarning)
        model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                 init_lora_weights=False))  # B not zero: gradients reach A too
    model.train()
    ids = torch.tensor([example.prompt + example.answer])
    labels = ids.clone()
    labels[0, :len(example.prompt)] = -100

    def gradients(loss):
        model.zero_grad()
        loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}

    masked = model(input_ids=ids, labels=labels).loss
    answer_only = _loss(model, example, torch)
    assert torch.allclose(masked, answer_only, atol=1e-5), (float(masked), float(answer_only))
    plain = gradients(_loss(model, example, torch))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    recomputed = gradients(_loss(model, example, torch))
    assert plain.keys() == recomputed.keys() and len(plain) == 2 * 2 * 30
    assert all(torch.allclose(plain[n], recomputed[n], atol=1e-6) for n in plain)
    assert any(float(g.abs().max()) > 0 for g in plain.values())
