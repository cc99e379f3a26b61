"""The gate: is a house style good enough to answer by default?

A style passes when its adapter changes the answers at all, it follows the user's style more closely
than the plain model, and it keeps the answers as grounded as they were: expected values stated,
the model's own citations on the right passages, refusals where the documents have no answer. An
adapter that changes nothing (word for word the plain model's greedy output on every prompt: Ollama
has loaded adapters and silently ignored them) is reported as not applied.

Tolerance: a figure may fall by at most ``TOLERANCE`` (5 percentage points) and by at most one
question. Five points is the margin the answers issue allows itself (citation accuracy ≥ 95 %,
answerable questions refused ≤ 5 %, bench/RESULTS.md); one question is what a change that helps
overall can still cost (the prompt shape chosen on 2026-12-02 gained two answers and lost one), and
on a held-out set of ten a single question is already ten points, so one question alone never fails
a style. Greedy decoding makes every loss real for its set, not noise.
"""

from __future__ import annotations

TOLERANCE = 0.05
HELD_OUT_PART = "held-out examples"  # the name core/style/compare.py gives that set of questions
MIN_PROMPTS = 5  # answers both models wrote: below this the comparison cannot judge the style
# Questions of another kind than the examples (the user's earlier questions, or questions given)
# both models answered. Held-out examples alone cannot show what a style does to other questions,
# and that is where a style fails: trained without the user's history to rehearse, SmolLM2's style
# refused 29 of 30 of them (bench/RESULTS.md, House style). Three: one question may still be lost.
MIN_OTHER_QUESTIONS = 3
GROUNDEDNESS = (  # (figure, how many questions it is over, what it is called, whether a rise is the loss)
    ("expected_value_rate", "expected_value_questions", "expected values stated", False),
    ("citation_accuracy", "citation_questions", "citations on the right passage", False),
    ("refusal_rate", "refusal_questions", "refusals of questions the documents do not answer", False),
    # A style that learnt to refuse would otherwise pass on the line above (measured: 29 of 30
    # answerable questions refused, expected values 40 % → 3 %).
    ("false_refusals", "expected_value_questions", "answerable questions refused", True),
    ("asked_refusals", "asked_questions", "your earlier questions refused", True),
)


def verdict(base: dict, styled: dict, *, identical: bool, prompts: int, against: str = "the plain model",
            parts: dict[str, tuple[dict, dict]] | None = None, others: int | None = None) -> dict:
    """The gate's verdict on two sets of figures (core/style/compare.figures): {"passed", "reason",
    "applied", "judged", "losses", "tolerance"}. ``parts``: the same figures for each set of
    questions (held-out examples, the user's questions), judged on their own too, so a gain on one
    set cannot hide a loss on the other. ``others``: how many of the prompts were not held-out
    examples (None: not counted); fewer than ``MIN_OTHER_QUESTIONS`` hold the style back unjudged."""
    common = {"tolerance": TOLERANCE, "against": against, "prompts": prompts}
    if prompts == 0:
        return {**common, "passed": False, "applied": None, "judged": False, "losses": [],
                "reason": "no question reached the model (retrieval found nothing relevant for any), so "
                          "nothing was compared; compare with questions your documents answer"}
    if identical:
        return {**common, "passed": False, "applied": False, "judged": True, "losses": [],
                "reason": f"not applied: on all {prompts} prompts the style's answers were word for word those of "
                          f"{against}, so the adapter changed nothing (it may not have been loaded)"}
    losses = _losses(base, styled, "")
    for name, (part_base, part_styled) in (parts or {}).items():
        losses += [loss for loss in _losses(part_base, part_styled, f" on {name}") if loss not in losses]
    adherence = f"style adherence {_pct(base.get('adherence'))} → {_pct(styled.get('adherence'))}"
    if held := (parts or {}).get(HELD_OUT_PART):  # where the style is meant: the examples' own kind of question
        adherence += f", on held-out examples {_pct(held[0].get('adherence'))} → {_pct(held[1].get('adherence'))}"
    common.update(applied=True, losses=losses)
    if losses:
        better = "better at the style but " if _improves(base, styled) else ""
        return {**common, "passed": False, "judged": True,
                "reason": f"{better}loses groundedness beyond the {TOLERANCE * 100:.0f}-point tolerance: "
                          f"{'; '.join(losses)} ({adherence})"}
    if others is not None and others < MIN_OTHER_QUESTIONS:
        return {**common, "passed": False, "judged": False,
                "reason": f"compared only on questions like your examples ({others} of your other questions "
                          f"answered, {MIN_OTHER_QUESTIONS} needed), and a style can learn to refuse every other "
                          f"kind; nothing lost on them ({adherence}). Ask Archivist a few questions about your "
                          f"documents, then compare again (Check again in the window, `archivist-cli style compare`)"}
    if prompts < MIN_PROMPTS:
        return {**common, "passed": True, "judged": False,
                "reason": f"too few questions to judge the style ({prompts} answered by both, {MIN_PROMPTS} needed); "
                          f"nothing lost on them ({adherence}). Compare on more: `archivist-cli style compare "
                          f"--questions FILE`"}
    if not _improves(base, styled):
        return {**common, "passed": False, "judged": True,
                "reason": f"does not follow your style more closely than {against} ({adherence})"}
    return {**common, "passed": True, "judged": True,
            "reason": f"follows your style more closely ({adherence}) and keeps groundedness within "
                      f"{TOLERANCE * 100:.0f} points"}


def _losses(base: dict, styled: dict, where: str) -> list[str]:
    losses = [_loss(label + where, base.get(key), styled.get(key), base.get(count), rise)
              for key, count, label, rise in GROUNDEDNESS]
    return [loss for loss in losses if loss]


def _loss(label: str, before: float | None, after: float | None, questions: int | None, rise: bool) -> str:
    if before is None or after is None:
        return ""
    drop = after - before if rise else before - after
    one_question = 1 / questions if questions else 0.0
    if drop > TOLERANCE + 1e-9 and drop > one_question + 1e-9:
        return f"{label} {_pct(before)} → {_pct(after)}"
    return ""


def _improves(base: dict, styled: dict) -> bool:
    """Higher adherence, or the same with a higher mean share of checks passed."""
    before, after = base.get("adherence"), styled.get("adherence")
    if after is None:
        return False
    if before is None or after != before:
        return before is None or after > before
    return (styled.get("style_score") or 0) > (base.get("style_score") or 0)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f} %"
