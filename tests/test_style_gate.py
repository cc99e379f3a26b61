"""The gate (core/style/gate.py): a house style answers by default only when it follows the user's
style more closely and keeps the answers as grounded as the plain model's, on every set of questions."""

from __future__ import annotations

import pytest

from core.style import gate


def figures(**changes):
    base = {"adherence": 0.2, "style_score": 0.5, "expected_value_rate": 0.8, "expected_value_questions": 40,
            "citation_accuracy": 0.9, "citation_questions": 40, "refusal_rate": 1.0, "refusal_questions": 10}
    return {**base, **changes}


def test_the_gate_passes_a_better_style_that_stays_grounded():
    verdict = gate.verdict(figures(), figures(adherence=0.9, expected_value_rate=0.775), identical=False, prompts=40)
    assert verdict["passed"] and verdict["judged"] and verdict["applied"] and verdict["losses"] == []
    assert "20 % → 90 %" in verdict["reason"]


@pytest.mark.parametrize("figure, label", [("expected_value_rate", "expected values stated"),
                                           ("citation_accuracy", "citations on the right passage"),
                                           ("refusal_rate", "refusals of questions")])
def test_the_gate_holds_back_a_better_style_that_loses_groundedness(figure, label):
    lost = figures(adherence=0.9, **{figure: figures()[figure] - 0.2})
    verdict = gate.verdict(figures(), lost, identical=False, prompts=40)
    assert not verdict["passed"] and verdict["applied"]
    assert verdict["reason"].startswith("better at the style but loses groundedness beyond the 5-point tolerance")
    assert label in verdict["reason"] and len(verdict["losses"]) == 1


def test_the_gate_holds_back_a_style_that_refuses_questions_the_documents_answer():
    """Measured: a style trained with refusals refused 29 of 30 answerable questions, and passed."""
    verdict = gate.verdict(figures(false_refusals=0.0), figures(adherence=0.9, false_refusals=0.5),
                           identical=False, prompts=40)
    assert not verdict["passed"] and "answerable questions refused 0 % → 50 %" in verdict["reason"]


def test_a_loss_on_one_set_of_questions_is_not_hidden_by_a_gain_on_the_other():
    """The bench's run: held-out examples 19 % → 71 % expected values, the QA set 40 % → 3 %; over
    both sets together the rate stayed 31 %."""
    held_base, held_styled = figures(expected_value_rate=0.19, expected_value_questions=21), figures(
        adherence=0.76, expected_value_rate=0.71, expected_value_questions=21)
    qa_base, qa_styled = figures(expected_value_rate=0.4, expected_value_questions=30), figures(
        expected_value_rate=0.03, expected_value_questions=30)
    both = figures(expected_value_rate=0.31, expected_value_questions=51)
    verdict = gate.verdict(both, {**both, "adherence": 0.73}, identical=False, prompts=61,
                           parts={"held-out examples": (held_base, held_styled), "your questions": (qa_base, qa_styled)})
    assert not verdict["passed"], verdict["reason"]
    assert verdict["losses"] == ["expected values stated on your questions 40 % → 3 %"]
    assert "on held-out examples 20 % → 76 %" in verdict["reason"]  # where the style is meant to show


def test_one_question_lost_is_within_tolerance_on_a_small_set():
    small = dict(expected_value_questions=8, citation_questions=8)
    one_lost = gate.verdict(figures(**small), figures(adherence=1.0, expected_value_rate=0.675, **small),
                            identical=False, prompts=8)
    assert one_lost["passed"]  # 12.5 points, but one question
    two_lost = gate.verdict(figures(**small), figures(adherence=1.0, expected_value_rate=0.55, **small),
                            identical=False, prompts=8)
    assert not two_lost["passed"] and "expected values stated 80 % → 55 %" in two_lost["reason"]


def test_the_gate_reports_an_adapter_that_changed_nothing_as_not_applied():
    verdict = gate.verdict(figures(), figures(), identical=True, prompts=12)
    assert not verdict["passed"] and verdict["applied"] is False
    assert verdict["reason"].startswith("not applied") and "12 prompts" in verdict["reason"]


def test_no_better_style_too_few_questions_and_nothing_compared():
    same = gate.verdict(figures(), figures(), identical=False, prompts=20)
    assert not same["passed"] and "does not follow your style more closely" in same["reason"]
    few = gate.verdict(figures(), figures(adherence=1.0), identical=False, prompts=2)
    assert few["passed"] and not few["judged"] and "too few questions" in few["reason"]
    none = gate.verdict(figures(), figures(), identical=False, prompts=0)
    assert not none["passed"] and "no question reached the model" in none["reason"]


def test_refusing_the_users_earlier_questions_holds_a_style_back(data_dir):
    from core import layout
    from core.conversations import ConversationStore
    from core.style.compare import ASKED, Scored
    from core.style.compare import figures as figures_of
    from core.style.evaluation import earlier_questions

    store = ConversationStore(layout.conversations_path(data_dir))
    conv = store.create()
    for question in ("Where is the pump house?", "Who signs the permits?", "What does astuple() do?"):
        store.add_message(conv.id, "user", question)
        store.add_message(conv.id, "assistant", "… [1]", citations=[{"n": 1, "path": "/d/a.md"}])
    store.close()
    asked = earlier_questions(data_dir, 10, skip={"What does astuple() do?"})  # already a held-out question
    assert [(q.text, q.origin) for q in asked] == [("Who signs the permits?", ASKED), ("Where is the pump house?", ASKED)]

    def run(status):
        return [Scored(q, "…", status, True, None, (), (), None, None) for q in asked]

    plain, styled = figures_of(run("complete")), figures_of(run("refused"))
    assert (plain["asked_refusals"], styled["asked_refusals"], styled["asked_questions"]) == (0.0, 1.0, 2)
    verdict = gate.verdict({**plain, "adherence": 0.0}, {**styled, "adherence": 1.0}, identical=False, prompts=12)
    assert not verdict["passed"] and "your earlier questions refused 0 % → 100 %" in verdict["reason"]


def test_a_style_compared_only_on_questions_like_its_examples_is_held_back_unjudged():
    """Held-out examples cannot show what a style does to other questions, where styles fail (29 of
    30 refused, bench/RESULTS.md): with fewer than three of those, the style is not switched on."""
    better = figures(adherence=0.9)
    alone = gate.verdict(figures(), better, identical=False, prompts=40, others=2)
    assert not alone["passed"] and not alone["judged"] and alone["applied"]
    assert alone["reason"].startswith("compared only on questions like your examples (2 of your other questions "
                                      "answered, 3 needed)") and "20 % → 90 %" in alone["reason"]
    assert gate.verdict(figures(), better, identical=False, prompts=40, others=3)["passed"]
    lost = gate.verdict(figures(), figures(adherence=0.9, citation_accuracy=0.5), identical=False, prompts=40, others=0)
    assert lost["judged"] and "citations on the right passage" in lost["reason"]  # a loss is named first


def test_the_comparison_counts_the_other_questions_both_models_answered():
    from core.style.compare import ASKED, HELD_OUT, Comparison, Question, Scored
    from core.style.style_checks import Outcome

    def row(question, styled, reached=True):
        text = "In short: x [1]." if styled else "x [1]."
        return Scored(question, text, "complete", reached, True, (1,), (), None, None,
                      outcomes=[Outcome("summary line", styled, "")])

    held = [Question(f"held {i}?", expected=("x",), origin=HELD_OUT) for i in range(6)]
    asked = [Question(f"asked {i}?", origin=ASKED) for i in range(3)]
    only_held = Comparison.of_scored([row(q, False) for q in held], [row(q, True) for q in held])
    assert not only_held.verdict()["passed"] and "(0 of your other questions" in only_held.verdict()["reason"]
    unreached = [row(asked[0], False, reached=False)] + [row(q, False) for q in asked[1:]]
    base = [row(q, False) for q in held] + unreached
    short = Comparison.of_scored(base, [row(q, True) for q in held] + unreached)
    assert "(2 of your other questions" in short.verdict()["reason"]  # one found nothing to answer from
    both = Comparison.of_scored([row(q, False) for q in held + asked], [row(q, True) for q in held + asked])
    assert both.verdict()["passed"] and both.verdict()["judged"]
