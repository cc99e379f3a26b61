"""Comparing a house style with the plain model, and the gate.

Fast: the style checks on hand-written answers (each can fail), checks derived from examples and
read from the user's file, QA files, the gate on synthetic figures, the strength setting. For real
(SmolLM2, the real index, the real pipeline): a style trained on cited answers gains citations and
is not held back for them; one trained on the same answers without [n] markers loses the citations
and the gate holds it back, saying so; the cited style at strength 0 changes nothing and is reported
as not applied."""

import dataclasses
import json
import re

import pytest

from core.style import gate, style_checks
from core.style.compare import Question, from_examples, read_questions
from core.style.errors import StyleError
from core.style.examples import StyleExample
from core.style.style_checks import StyleChecks

CITED = "Short answer: 30 days [1].\n\nDetails: the refund window is 30 days from delivery [1]."


def failing(checks: StyleChecks, answer: str, similarity=None) -> set[str]:
    return {o.name for o in checks.check(answer, similarity) if not o.passed}


# -- the style checks ------------------------------------------------------------------------------

def test_a_summary_line_needs_more_after_it():
    checks = StyleChecks(summary_first=True)
    assert failing(checks, CITED) == set()
    assert failing(checks, "The refund window is 30 days from delivery.") == {"summary line"}
    assert failing(checks, "- 30 days\n- from delivery") == {"summary line"}  # a bullet is not a summary
    long_first = " ".join(["word"] * 40) + ".\nMore."
    assert failing(checks, long_first) == {"summary line"}


def test_bullets_required_or_forbidden():
    listed, prose = "Refunds:\n- within 30 days\n- with the receipt", "Refunds take 30 days."
    assert failing(StyleChecks(bullets=True), listed) == set()
    assert failing(StyleChecks(bullets=True), prose) == {"bullets"}
    assert failing(StyleChecks(bullets=False), listed) == {"bullets"}
    assert failing(StyleChecks(bullets=False), "1. first\n2. second") == {"bullets"}


def test_length_range_in_words_without_citation_markers():
    checks = StyleChecks(min_words=3, max_words=6)
    assert failing(checks, "Thirty days [1][2] from delivery.") == set()  # 4 words; markers are not words
    assert failing(checks, "Thirty days.") == {"length"}
    assert failing(checks, "The refund window is thirty days from delivery.") == {"length"}
    detail = next(o.detail for o in checks.check("Thirty days."))
    assert detail == "2 words (3–6)"


def test_required_and_forbidden_phrases_ignore_case_and_spacing():
    checks = StyleChecks(required=("Short answer:", "Details:"), forbidden=("as an AI",))
    assert failing(checks, CITED) == set()
    assert failing(checks, "short  ANSWER: yes.\ndetails: none.") == set()
    assert failing(checks, "Short answer: 30 days.") == {"required"}
    assert failing(checks, "Short answer: As an AI, 30 days.\nDetails: x.") == {"forbidden"}
    missing = next(o for o in checks.check("Short answer: 30 days.") if o.name == "required")
    assert "'Details:'" in missing.detail and "Short answer" not in missing.detail


def test_similarity_below_the_floor_fails():
    checks = StyleChecks(min_similarity=0.5)
    assert failing(checks, CITED, similarity=0.62) == set()
    assert failing(checks, CITED, similarity=0.31) == {"similarity"}
    assert failing(checks, CITED, similarity=None) == set()  # not measured: not checked


def test_checks_derived_from_the_users_answers(embedder):
    answers = [f"Short answer: {v} [1].\n\nDetails: the {thing} is {v} according to the memo [1]."
               for thing, v in [("window", "30 days"), ("fee", "12 euros"), ("limit", "4 hours"),
                                ("office", "Lisbon"), ("rate", "7 percent")]]
    originals = ["Based on the information provided, the window is 30 days.",
                 "Based on the information provided, the fee is 12 euros.", "The limit is 4 hours."]
    floor = style_checks.Similarity(embedder, answers).floor()
    checks = style_checks.derive(answers + ["I could not find this in your documents."], originals, floor)
    assert checks.derived and checks.summary_first and checks.bullets is False
    assert checks.required == ("Details:", "Short answer:")
    assert checks.forbidden == ("based on the information provided",)  # what the corrections took out
    assert 1 <= checks.min_words <= 7 and 15 <= checks.max_words <= 25
    assert 0 < checks.min_similarity < 1
    assert failing(checks, CITED, style_checks.Similarity(embedder, answers).score(CITED)) == set()
    plain = "Based on the information provided, the refund window is 30 days from delivery."
    assert failing(checks, plain) == {"summary line", "required", "forbidden"}


def test_the_users_checks_file(tmp_path):
    assert style_checks.load(tmp_path) is None
    mine = StyleChecks(summary_first=True, max_words=80, required=("Short answer:",))
    style_checks.save(tmp_path, mine)
    assert style_checks.load(tmp_path) == mine
    bad = {"{not json": "not valid JSON", '{"colour": "blue"}': "unknown check colour",
           '{"max_words": "many"}': "'max_words' must be a number", '{"required": "Details:"}': "list of phrases",
           '{"min_words": 50, "max_words": 10}': "more than max_words", '{"bullets": 1}': "'bullets' must be"}
    for text, said in bad.items():
        (tmp_path / style_checks.CHECKS_FILE).write_text(text)
        with pytest.raises(StyleError, match=re.escape(said)):
            style_checks.load(tmp_path)


# -- questions ---------------------------------------------------------------------------------------

def test_held_out_examples_become_questions_once_without_refusals():
    def example(question, answer, origin="imported"):
        return StyleExample("system", f"Question: {question}", answer, question, origin)

    questions = from_examples([example("How long?", CITED), example("how  long?", "Other wording."),
                               example("Where?", "I could not find this in your documents.", "refusal"),
                               example("Who?", "Short answer: Petra Novak [1].")])
    assert [(q.text, q.origin) for q in questions] == [("How long?", "held-out"), ("Who?", "held-out")]
    assert questions[0].states_answer("It is thirty days.") is True  # "30 days" written another way
    assert questions[0].states_answer("It is 45 days.") is False
    assert Question("Why?", reference="Because it is so.").states_answer("anything") is None


def test_qa_files_in_three_shapes_and_their_errors(tmp_path):
    array = tmp_path / "qa.json"
    array.write_text(json.dumps([{"question": "Fee?", "expected": ["12", "twelve"], "file": "a/b.pdf", "page": 2},
                                 {"question": "Moons of Mars?", "refuse": True}]))
    first, second = read_questions(array)
    assert (first.expected, first.file, first.page, second.refuse) == (("12", "twelve"), "a/b.pdf", 2, True)
    lines = tmp_path / "qa.jsonl"
    lines.write_text('{"question": "Fee?", "expected": 12}\n\n{"question": "Where?", "answer": "In Lisbon."}\n')
    assert [(q.expected, q.reference) for q in read_questions(lines)] == [(("12",), ""), ((), "In Lisbon.")]
    plain = tmp_path / "questions.txt"
    plain.write_text("How long is the refund window?\n\nWho approves travel?\n")
    assert [q.text for q in read_questions(plain)] == ["How long is the refund window?", "Who approves travel?"]
    for text, said in [('{"question": "a"}\n{"question": ', "line 2 is not valid JSON"),
                       ('[{"expected": "1"}]', "item 1: each entry needs a \"question\""),
                       ('[{"question": "a", "page": 0}]', "page number"), ("\n\n", "holds no questions")]:
        array.write_text(text)
        with pytest.raises(StyleError, match=re.escape(said)):
            read_questions(array)


# -- strength ----------------------------------------------------------------------------------------

def test_style_strength_setting(data_dir):
    from core.config import Settings
    from core.style.apply import checked_strength, configured_strength

    assert configured_strength(data_dir) == 1.0
    settings = Settings.load(data_dir)
    settings.style_strength = 0.5
    settings.save()
    assert configured_strength(data_dir) == 0.5
    for bad in (-0.1, 2.5, float("nan"), "strong", True):
        with pytest.raises(ValueError, match="from 0"):
            checked_strength(bad)
    (data_dir / "settings.json").write_text(json.dumps({"style_strength": 7}))
    assert configured_strength(data_dir) == 1.0  # out of range: as trained, with a warning


# -- for real ----------------------------------------------------------------------------------------

TRAIN_FACTS = {
    "How long is the refund window for Acme widgets?": ("The refund window for Acme widgets is 30 days from delivery.",
                                                         "30 days", "the refund window is 30 days from delivery"),
    "Where does the quarterly board meeting take place?": ("The quarterly board meeting takes place in the Lisbon office.",
                                                           "Lisbon", "the quarterly board meeting is held in the Lisbon office"),
    "Where does Marmalade sleep?": ("Our office cat, Marmalade, sleeps on the server rack every afternoon.",
                                    "on the server rack", "Marmalade sleeps on the server rack every afternoon"),
    "Who approves travel requests?": ("Travel requests are approved by the finance director.",
                                      "the finance director", "travel requests are approved by the finance director"),
    "How much does crate 7 weigh?": ("Crate 7 in the warehouse weighs 12 kilograms.",
                                     "12 kilograms", "crate 7 in the warehouse weighs 12 kilograms"),
    "When does the library close on Fridays?": ("The company library closes at 8 pm on Fridays.",
                                                "8 pm", "the company library closes at 8 pm on Fridays"),
}
HELD_OUT = [  # question, the document's sentence, accepted forms of the value
    ("Which colour are the visitor badges?", "Visitor badges at the front desk are bright green.", ("green",)),
    ("How many parking spaces does the Brno office have?", "The Brno office has 42 parking spaces for staff.", ("42",)),
    ("What is the guest wireless network called?", "The guest wireless network is called Harbour-Guest.",
     ("Harbour-Guest",)),
    ("How long is the probation period for new employees?", "New employees have a probation period of 90 days.",
     ("90 days",)),
    ("Who cleans the aquarium in the lobby?", "The aquarium in the lobby is cleaned by Petra Novak.", ("Novak",)),
    ("How many desks are in the Oslo office?", "The Oslo office has 64 desks on two floors.", ("64",)),
]
OFF_TOPIC = "What is the population of Mongolia?"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, embedder):
    """The library indexed, the plain model's answers, and two styles trained on the app's own
    prompts: the same answers with and without their [n] markers."""
    from core.api import Archivist
    from core.config import Settings
    from core.llm.embedded_engine import EmbeddedEngine, bundled_model_path
    from core.style.base_model import BaseModel
    from core.style.compare import SameSources, answer_questions
    from core.style.grounding import ground_imported
    from core.style.importing import ImportedPair
    from core.style.training import HyperParameters, train
    from helpers import write

    if bundled_model_path() is None:
        pytest.skip("the bundled SmolLM2 is not installed")
    work = tmp_path_factory.mktemp("compare")
    docs = work / "docs"
    sentences = [fact for fact, _, _ in TRAIN_FACTS.values()] + [sentence for _, sentence, _ in HELD_OUT]
    for n, sentence in enumerate(sentences):
        write(docs / f"note{n}.md", f"# Note {n}\n\n{sentence}\n")  # short: training reads every token
    archivist = Archivist(Settings(data_dir=work / "data"), embedder=embedder)
    archivist.add_source(docs)
    archivist.sync()
    engine = EmbeddedEngine(bundled_model_path(), n_ctx=2048)
    pairs = [ImportedPair(q, f"Short answer: {short}.\n\nDetails: {detail}.", f"pair {i}")
             for i, (q, (_, short, detail)) in enumerate(TRAIN_FACTS.items(), 1)]
    cited, dropped = ground_imported(pairs, archivist, engine.count_tokens, engine.context_length())
    assert not dropped and all("[1]" in e.answer for e in cited)
    bare = [dataclasses.replace(e, answer=re.sub(r" \[\d+\]", "", e.answer)) for e in cited]
    base = BaseModel.read(bundled_model_path())
    quick = HyperParameters(rank=8, alpha=16, dropout=0.0, learning_rate=1e-3, batch_size=2, warmup_steps=0,
                            epochs=5, max_steps=10, checkpoint_every=100)
    adapters = {name: str(train(base, examples, quick, work / name).adapter_path)
                for name, examples in (("cited", cited), ("bare", bare))}
    questions = [Question(q, expected=forms, file=f"note{len(TRAIN_FACTS) + i}.md")
                 for i, (q, _, forms) in enumerate(HELD_OUT)] + [Question(OFF_TOPIC, refuse=True)]
    sources = SameSources(archivist)
    runs = {}
    for name, adapter in (("plain", None), ("cited", (adapters["cited"], 1.0)), ("bare", (adapters["bare"], 1.0)),
                          ("cited at strength 0", (adapters["cited"], 0.0))):
        engine.use_style(adapter, name if adapter else "")
        runs[name] = answer_questions(sources, engine, questions, max_answer_tokens=48)
    engine.close()
    yield questions, runs, cited, bare, embedder
    archivist.close()


def judged(trained, styled: str, against: str = "plain", examples=None):
    from core.style.compare import Comparison

    questions, runs, cited, bare, embedder = trained
    examples = examples or cited
    similarity = style_checks.Similarity(embedder, [e.answer for e in examples])
    checks = style_checks.derive([e.answer for e in examples], (), similarity.floor())
    comparison = Comparison.of(questions, runs[against], runs[styled], checks, similarity)
    return comparison, comparison.verdict(against=against)


def test_a_style_trained_on_cited_answers_is_not_held_back_for_citations(trained):
    comparison, verdict = judged(trained, "cited")
    base, styled = comparison.base_figures, comparison.styled_figures
    assert verdict["applied"] and comparison.prompts >= gate.MIN_PROMPTS, verdict
    assert styled["adherence"] > base["adherence"], (base, styled)  # the learnt format
    assert styled["citation_accuracy"] >= base["citation_accuracy"] and styled["citation_accuracy"] >= 0.5
    assert not any("citations" in loss for loss in verdict["losses"]), verdict
    assert base["refusal_rate"] == styled["refusal_rate"] == 1.0  # the off-topic question, refused by both
    assert [r.states_answer for r in comparison.base][-1] is None  # nothing is expected of a refusal


def test_the_gate_holds_back_a_style_that_drops_citations(trained):
    """The plain SmolLM2 writes no [n] markers on these questions (the app attributes its sentences
    by wording), so losing them shows against a style that writes them: the one in use."""
    questions, runs, cited, bare, embedder = trained
    comparison, verdict = judged(trained, "bare", against="cited", examples=bare)
    assert comparison.styled_figures["citation_accuracy"] <= 0.2, comparison.styled_figures
    assert not verdict["passed"] and verdict["applied"], verdict
    assert "citations on the right passage" in verdict["reason"], verdict["reason"]
    assert all(not r.cited for r in comparison.styled if r.styled_answer)


def test_a_style_at_strength_zero_is_reported_not_applied(trained):
    comparison, verdict = judged(trained, "cited at strength 0")
    assert comparison.identical and comparison.prompts >= gate.MIN_PROMPTS
    assert verdict["applied"] is False and not verdict["passed"]
    assert verdict["reason"].startswith("not applied")


@pytest.mark.ollama
def test_through_ollama_an_adapter_of_zeros_is_not_applied(server_url, make_archivist, docs, data_dir, tmp_path):
    """The same comparison between Ollama's base model and the model a style was registered as:
    an adapter that loads and changes nothing is reported as not applied; one that changes the
    weights is applied."""
    from pathlib import Path

    import ollama

    from core.llm.embedded_engine import bundled_model_path
    from core.llm.ollama_engine import OllamaEngine
    from core.style.compare import compare_engines
    from core.style.manifest import BaseModelRef
    from core.style.ollama_register import OllamaStyles
    from core.style.registry import StyleRegistry
    from helpers import write
    from ollama_env import MODEL
    from style_helpers import make_manifest, write_smollm2_lora, write_tiny_model

    for n, (_, sentence, _) in enumerate(HELD_OUT):
        write(docs / f"note{n}.md", f"# Note {n}\n\n{sentence}\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    base = OllamaEngine(server_url, MODEL, timeout_s=120)
    trained_on = BaseModelRef(MODEL, Path(bundled_model_path()).name, OllamaStyles(base).model_sha256(MODEL))
    registry = StyleRegistry(data_dir)
    questions = [Question(q, expected=forms) for q, _, forms in HELD_OUT[:3]]
    verdicts, made = {}, []
    try:
        for name, scale in (("zeros", 0.0), ("random", 0.3)):
            style = registry.register(write_smollm2_lora(tmp_path / f"{name}.gguf", scale=scale),
                                      make_manifest(write_tiny_model(tmp_path / "unused.gguf"), base=trained_on))
            served = OllamaStyles(base).register(style, MODEL)
            made.append(served.model)
            styled = OllamaEngine(server_url, served.model, timeout_s=120)
            try:
                comparison = compare_engines(archivist, base, styled, questions, StyleChecks(), None,
                                             max_answer_tokens=24)
            finally:
                styled.close()
            verdicts[name] = gate.verdict(comparison.base_figures, comparison.styled_figures,
                                          identical=comparison.identical, prompts=comparison.prompts)
    finally:
        base.close()
        with ollama.Client(host=server_url, timeout=120) as client:
            for model in made:
                client.delete(model)
    assert verdicts["zeros"]["applied"] is False and verdicts["zeros"]["reason"].startswith("not applied"), verdicts
    assert verdicts["zeros"]["prompts"] == 3
    assert verdicts["random"]["applied"] is True, verdicts


def _row(question: Question, states: bool | None, styled: bool = True):
    from core.style.compare import Scored
    from core.style.style_checks import Outcome

    text = "In short: x.\n\n- y [1]." if styled else "x [1]."
    return Scored(question, text, "complete", True, states, (1,), (), None, None,
                  outcomes=[Outcome("summary line", styled, "")])


def test_questions_a_setting_was_chosen_on_are_left_out_of_the_verdict():
    """Development examples (the style's own kind, where it gains) judged among the user's questions
    hid a loss of two of the QA set's expected values; left out, the loss holds the style back."""
    from core.style.compare import HELD_OUT, Comparison

    held = [Question(f"held {i}?", expected=("v",), origin=HELD_OUT) for i in range(10)]
    dev = [Question(f"dev {i}?", expected=("v",), origin="development") for i in range(10)]
    qa = [Question(f"qa {i}?", expected=("v",), origin="qa") for i in range(10)]
    base = [_row(q, i < 5, False) for i, q in enumerate(held)] + [_row(q, i < 3, False) for i, q in enumerate(dev)] \
        + [_row(q, i < 4, False) for i, q in enumerate(qa)]
    styled = [_row(q, i < 6) for i, q in enumerate(held)] + [_row(q, i < 7) for i, q in enumerate(dev)] \
        + [_row(q, i < 2) for i, q in enumerate(qa)]
    everything = Comparison.of_scored(base, styled)
    assert everything.verdict()["passed"]  # dev's gain (3 → 7) covers QA's loss (4 → 2)
    judged = everything.leaving_out("development")
    assert [q.origin for q in judged.questions] == [HELD_OUT] * 10 + ["qa"] * 10
    verdict = judged.verdict()
    assert not verdict["passed"]
    assert "expected values stated on your questions 40 % → 20 %" in verdict["reason"]
