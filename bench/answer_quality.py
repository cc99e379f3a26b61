"""Answer quality on a generated QA set with known answers (see bench/qa_library.py).

Every question goes through the real answer pipeline (``core.answer.pipeline.ask``, strict mode),
so retrieval, prompt fitting, the model and citation resolution are all measured together:

    python bench/answer_quality.py [--set main|heldout|fresh] [--model NAME] [--prompt evidence|passages]
                                   [--shape 4x1,4x2] [--questions N] [--engine embedded|ollama|auto] [--json]
    python bench/answer_quality.py --retrieval-only   # retrieval and evidence only, no answer model

Three QA sets. ``main`` (bench/qa_library.py) is where parameters are chosen. ``heldout``
(bench/qa_heldout.py), built differently, was measured once untuned; its failures were then studied,
so it has become a second development set (the prompt shape was chosen on both). ``fresh``
(bench/qa_fresh.py), generated from a brief ("realistic and hard") without looking at the pipeline's
answers, is for measuring only: nothing is chosen on it. ``--model`` takes a built-in model's short name
(qwen2.5-coder-1.5b …), a GGUF file or an Ollama model.

Retrieval hit@k is measured on the passages the model was shown (``Retrieved.sources``, in rank
order), i.e. the pipeline's own ``archivist.search(question, k)`` minus any passage cut for room.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from common import percentile
from core.answer import excerpts, pipeline
from core.answer.grading import contains_answer, normalise  # noqa: F401  (other benches import them from here)
from core.answer.pipeline import MIN_SIMILARITY, MIN_SIMILARITY_WITH_TEXT_MATCH, Answered, Retrieved, ask
from core.llm.base import ChatMessage, EngineError
from core.llm.select import engine_for
import qa_fresh
import qa_heldout
import qa_library
from qa_library import FACTS, indexed_library

SETS = {"main": qa_library, "heldout": qa_heldout, "fresh": qa_fresh}

K = 8
MAX_ANSWER_TOKENS = 160  # the facts need a sentence; bounds the time a rambling answer costs


def at(path: str, page: int | None, root: Path, fact) -> bool:
    """A passage or citation is from the fact's file, and from its page when the file has pages."""
    return Path(path).resolve() == (root / fact.file).resolve() and (fact.page is None or page == fact.page)


def make_engine(preference: str, model: str | None):
    engine = engine_for(preference, model)
    # Load the model before the clock starts: the first answer should not pay for it.
    "".join(engine.stream_chat([ChatMessage("user", "Say OK.")], max_tokens=1))
    return engine


def run_one(archivist, engine, question: str, prompt_style: str = "evidence") -> tuple[Retrieved, Answered, float]:
    started = time.perf_counter()
    retrieved = answered = None
    for event in ask(archivist, engine, question, strict=True, k=K, max_answer_tokens=MAX_ANSWER_TOKENS,
                     prompt_style=prompt_style):
        if isinstance(event, Retrieved):
            retrieved = event
        elif isinstance(event, Answered):
            answered = event
    return retrieved, answered, time.perf_counter() - started


def cites_sentence(answered: Answered, root: Path, fact) -> bool:
    """Citation accuracy at sentence level: a cited sentence, on the expected file and page, states the
    expected value (the sentence the user is shown as evidence is the one that holds the fact)."""
    return any(at(c.path, c.page, root, fact) and contains_answer(" ".join(s.text for s in c.sentences), fact.answers)
               for c in answered.citations)


def evaluate(archivist, engine, root: Path, facts, off_topic, progress=None, prompt_style: str = "evidence") -> dict:
    rows, off_rows = [], []
    for i, fact in enumerate(facts, 1):
        retrieved, answered, seconds = run_one(archivist, engine, fact.question, prompt_style)
        ranks = [n for n, s in enumerate(retrieved.sources, 1) if at(s.hit.path, s.hit.page, root, fact)]
        explicit = [c for c in answered.citations if not c.inferred]
        inferred = [c for c in answered.citations if c.inferred]
        sims = [s.hit.similarity or 0.0 for s in retrieved.sources]
        row = {
            "question": fact.question, "expected": fact.answers[0], "file": fact.file, "page": fact.page,
            "rank": ranks[0] if ranks else None, "shown": len(retrieved.sources), "cut": len(retrieved.cut),
            "best_similarity": round(max(sims, default=0.0), 3),
            "expected_similarity": round(sims[ranks[0] - 1], 3) if ranks else None,
            "top": [(Path(s.hit.path).name, s.hit.page) for s in retrieved.sources[:3]],
            "status": answered.status, "answer": answered.text, "seconds": round(seconds, 2),
            "generated": answered.status != "refused",
            "correct": answered.status != "refused" and contains_answer(answered.text, fact.answers),
            "cites": "explicit" if explicit else "inferred" if inferred else None,
            "cites_right": any(at(c.path, c.page, root, fact) for c in answered.citations),
            "unknown_citations": answered.unknown_citations,
            "cites_right_sentence": cites_sentence(answered, root, fact),
            "prompt_tokens": retrieved.trace.get("prompt_tokens"),
            "first_token_s": round(answered.timings["first_token_ms"] / 1000, 2)
            if "first_token_ms" in answered.timings else None,
            "evidence_ms": answered.timings.get("evidence_ms"),
            # The claim check (core/answer/check.py): a flag on a correct answer is a false alarm.
            "claims_checked": answered.check.checked if answered.check else 0,
            "flagged": [c.text for c in answered.check.flagged] if answered.check else [],
        }
        rows.append(row)
        if progress:
            progress(f"[{i}/{len(facts)}] rank {row['rank']} {'ok ' if row['correct'] else 'no '} "
                     f"{seconds:5.1f} s  {fact.question}  ->  {' '.join(answered.text.split())[:100]}")
    for question in off_topic:
        retrieved, answered, seconds = run_one(archivist, engine, question, prompt_style)
        best = max((s.hit.similarity or 0.0 for s in retrieved.sources), default=0.0)
        off_rows.append({"question": question, "status": answered.status, "answer": answered.text,
                         "seconds": round(seconds, 2), "generated": answered.status != "refused",
                         "best_similarity": round(best, 3), "passed_by": passed_by(retrieved)})
        if progress:
            said = "" if answered.status == "refused" else f"  ->  {' '.join(answered.text.split())[:100]}"
            progress(f"[off-topic] {answered.status:8} best similarity {best:.2f}  {question}{said}")
    return figures(rows, off_rows, engine)


def passed_by(retrieved: Retrieved) -> str | None:
    """Which rule made strict mode answer (core/answer/relevance.py), and the best passage."""
    best = max(retrieved.sources, key=lambda s: s.hit.similarity or 0.0, default=None)
    where = f" — best: {Path(best.hit.path).name} p{best.hit.page} {' '.join(best.hit.text.split())[:80]!r}" if best else ""
    return f"{retrieved.trace.get('relevance')}{where}"


def fraction(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def figures(rows: list[dict], off_rows: list[dict], engine) -> dict:
    n = len(rows)
    generated = [r for r in rows if r["generated"]]
    citing = [r for r in generated if r["cites"]]
    explicit = [r for r in citing if r["cites"] == "explicit"]
    inferred = [r for r in citing if r["cites"] == "inferred"]
    # Seconds per answer the model actually wrote (a strict refusal costs only retrieval).
    seconds = [r["seconds"] for r in generated + [o for o in off_rows if o["generated"]]]
    return {
        "engine": engine.name, "model": engine.model, "k": K, "max_answer_tokens": MAX_ANSWER_TOKENS,
        "questions": n, "off_topic_questions": len(off_rows),
        "hit_at_1": fraction(sum(r["rank"] == 1 for r in rows), n),
        "hit_at_5": fraction(sum(r["rank"] is not None and r["rank"] <= 5 for r in rows), n),
        "hit_at_k": fraction(sum(r["rank"] is not None for r in rows), n),
        "passages_cut_for_room": sum(r["cut"] for r in rows),
        "answer_contains_expected": fraction(sum(r["correct"] for r in rows), n),
        "answer_contains_expected_when_answered": fraction(sum(r["correct"] for r in generated), len(generated)),
        "answers_citing": len(citing),
        "citation_accuracy": fraction(sum(r["cites_right"] for r in citing), len(citing)),
        "answers_citing_explicitly": len(explicit),
        "citation_accuracy_explicit": fraction(sum(r["cites_right"] for r in explicit), len(explicit)),
        "answers_citing_inferred": len(inferred),
        "citation_accuracy_inferred": fraction(sum(r["cites_right"] for r in inferred), len(inferred)),
        "answers_without_citation": len(generated) - len(citing),
        "answers_with_unknown_citation_numbers": sum(bool(r["unknown_citations"]) for r in rows),
        "citation_accuracy_sentence": fraction(sum(r["cites_right_sentence"] for r in citing), len(citing)),
        "prompt_tokens_mean": _mean([r["prompt_tokens"] for r in generated]),
        "prompt_tokens_p95": _p95([r["prompt_tokens"] for r in generated]),
        "first_token_s_p50": _p50([r["first_token_s"] for r in generated]),
        "first_token_s_p95": _p95([r["first_token_s"] for r in generated]),
        "evidence_ms_p95": _p95([r["evidence_ms"] for r in rows]),
        "claims_checked": sum(r["claims_checked"] for r in rows),
        "false_alarm_rate_correct_answers": fraction(sum(bool(r["flagged"]) for r in rows if r["correct"]),
                                                      sum(r["correct"] for r in rows)),
        "flag_rate_wrong_answers": fraction(sum(bool(r["flagged"]) for r in generated if not r["correct"]),
                                            sum(not r["correct"] for r in generated)),
        "off_topic_refusal_rate": fraction(sum(not o["generated"] for o in off_rows), len(off_rows)),
        "false_refusal_rate": fraction(sum(not r["generated"] for r in rows), n),
        # Where strict mode's similarity gate sits between the two kinds of question.
        "best_similarity_answerable": _spread([r["best_similarity"] for r in rows]),
        "best_similarity_off_topic": _spread([o["best_similarity"] for o in off_rows]),
        "answers_timed": len(seconds),
        "mean_s_per_answer": round(statistics.fmean(seconds), 2) if seconds else None,
        "p95_s_per_answer": round(percentile(seconds, 95), 2) if seconds else None,
        "rows": rows, "off_topic": off_rows,
    }


def _known(values):
    return [v for v in values if v is not None]


def _mean(values):
    values = _known(values)
    return round(statistics.fmean(values), 1) if values else None


def _p50(values):
    values = _known(values)
    return round(statistics.median(values), 2) if values else None


def _p95(values):
    values = _known(values)
    return round(percentile(values, 95), 2) if values else None


def _spread(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"min": min(values), "median": round(statistics.median(values), 3), "max": max(values)}


def report(result: dict) -> None:
    def pct(value):
        return "n/a" if value is None else f"{100 * value:.1f}%"

    n = result["questions"]
    print(f"QA set {result.get('qa_set')}; engine {result['engine']}, model {result['model']}; {n} questions + "
          f"{result['off_topic_questions']} off-topic; strict, k={result['k']}, "
          f"prompt {result.get('prompt_style')} {result.get('prompt_shape')}, "
          f"max {result['max_answer_tokens']} answer tokens")
    print(f"library: {result.get('library')}, synced in {result.get('sync_s')} s")
    print(f"retrieval (passages shown to the model): hit@1 {pct(result['hit_at_1'])}, "
          f"hit@5 {pct(result['hit_at_5'])}, hit@{result['k']} {pct(result['hit_at_k'])}; "
          f"passages cut for room: {result['passages_cut_for_room']}")
    print(f"answer contains the expected string: {pct(result['answer_contains_expected'])} of all; "
          f"{pct(result['answer_contains_expected_when_answered'])} of those answered")
    print(f"citation accuracy (expected file+page among cited passages): "
          f"{pct(result['citation_accuracy'])} of {result['answers_citing']} citing answers; "
          f"explicit [n] {pct(result['citation_accuracy_explicit'])} of {result['answers_citing_explicitly']}, "
          f"inferred {pct(result['citation_accuracy_inferred'])} of {result['answers_citing_inferred']}; "
          f"{result['answers_without_citation']} answers cite nothing; "
          f"{result['answers_with_unknown_citation_numbers']} cite a number with no source")
    print(f"citation accuracy at sentence level (a cited sentence on the expected page states the value): "
          f"{pct(result['citation_accuracy_sentence'])} of {result['answers_citing']} citing answers")
    print(f"prompt tokens: mean {result['prompt_tokens_mean']}, p95 {result['prompt_tokens_p95']} "
          f"({result.get('prompt_style')} prompt); time to first token p50 {result['first_token_s_p50']} s, "
          f"p95 {result['first_token_s_p95']} s; evidence card p95 {result['evidence_ms_p95']} ms")
    print(f"claim check: {result['claims_checked']} claims; correct answers flagged (false alarms) "
          f"{pct(result['false_alarm_rate_correct_answers'])}, wrong answers flagged "
          f"{pct(result['flag_rate_wrong_answers'])}")
    for r in result["rows"]:
        if r["correct"] and r["flagged"]:
            print(f"  - false alarm {r['flagged']} on {' '.join(r['answer'].split())[:120]!r}")
    print(f"strict mode: off-topic refused {pct(result['off_topic_refusal_rate'])}, "
          f"false refusals on answerable questions {pct(result['false_refusal_rate'])}")
    spread = (lambda d: "n/a" if d is None else f"{d['min']:.2f} / {d['median']:.2f} / {d['max']:.2f}")
    print(f"  best passage similarity, min / median / max: answerable "
          f"{spread(result['best_similarity_answerable'])}; off-topic {spread(result['best_similarity_off_topic'])} "
          f"(gate {MIN_SIMILARITY}, or {MIN_SIMILARITY_WITH_TEXT_MATCH} with a full-text match)")
    print(f"seconds per answer written by the model: mean {result['mean_s_per_answer']}, "
          f"p95 {result['p95_s_per_answer']} (n={result['answers_timed']})")
    misses = [r for r in result["rows"] if r["rank"] is None or r["rank"] > 5]
    if misses:
        print("retrieval misses (expected page not in the top 5):")
        for r in misses:
            print(f"  - {r['question']!r}: expected {r['file']} p{r['page']}, rank {r['rank']}, top 3 {r['top']}")
    passed = [o for o in result["off_topic"] if o["generated"]]
    if passed:
        print("off-topic questions answered (the passage that passed strict mode):")
        for o in passed:
            print(f"  - {o['question']!r}: {o['passed_by']}")
    wrong = [r for r in result["rows"] if r["generated"] and not r["correct"]]
    if wrong:
        print("answers without the expected string:")
        for r in wrong:
            print(f"  - {r['question']!r} (expected {r['expected']!r}, rank {r['rank']}): "
                  f"{' '.join(r['answer'].split())[:160]!r}")


def parse_shape(text: str) -> tuple[int, tuple[int, ...]]:
    """"4x2" → 4 passages, 2 sentences each; "4x2+1" → 2 sentences of the first, 1 of the others."""
    passages, per = text.lower().split("x")
    return int(passages), tuple(int(n) for n in per.split("+"))


def shape_name(passages: int, per_passage) -> str:
    return f"{passages}x{'+'.join(str(n) for n in per_passage)}"


def run(questions: int | None = None, engine: str = "embedded", model: str | None = None,
        verbose: bool = True, qa_set: str = "main", prompt_style: str = "evidence",
        shapes: list[tuple[int, tuple[int, ...]]] = ()) -> list[dict]:
    """One result per prompt shape (passages, sentences each; the pipeline's own when none), all on
    the same library, index and model: comparing shapes across runs compares libraries too."""
    library = SETS[qa_set]
    facts = library.FACTS[:questions] if questions else library.FACTS
    say = (lambda line: print(line, flush=True)) if verbose else None
    answerer = make_engine(engine, model)  # first: a missing engine fails before the minute of setup
    try:
        archivist, root, shape, sync_s = indexed_library(build_library=library.build)
    except BaseException:
        getattr(answerer, "close", lambda: None)()
        raise
    results = []
    try:
        for passages, per_passage in shapes or [(pipeline.PROMPT_PASSAGES, excerpts.SENTENCES_PER_PASSAGE)]:
            pipeline.PROMPT_PASSAGES, excerpts.SENTENCES_PER_PASSAGE = passages, per_passage
            result = evaluate(archivist, answerer, root, facts, library.OFF_TOPIC, progress=say,
                              prompt_style=prompt_style)
            result.update(library=shape, sync_s=sync_s, qa_set=qa_set, prompt_style=prompt_style,
                          prompt_shape=shape_name(passages, per_passage))
            results.append(result)
    finally:
        archivist.close()
        getattr(answerer, "close", lambda: None)()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, help=f"only the first N of {len(FACTS)} questions")
    parser.add_argument("--engine", default="embedded", choices=["embedded", "ollama", "auto"])
    parser.add_argument("--model", help="a built-in model (qwen2.5-coder-1.5b …), a GGUF file, or an Ollama model")
    parser.add_argument("--set", dest="qa_set", default="main", choices=sorted(SETS),
                        help="main: bench/qa_library.py (tuned on); heldout: bench/qa_heldout.py (studied, a second "
                             "development set); fresh: bench/qa_fresh.py (measured only, never tuned on)")
    parser.add_argument("--prompt", default="evidence", choices=["evidence", "passages"],
                        help="the model reads the best sentences of each passage, or whole passages")
    parser.add_argument("--shape", metavar="PxS[,PxS…]", help="evidence prompt of P passages × S best sentences "
                        "each (4x2+1: 2 of the first passage, 1 of the others); several shapes are compared on "
                        "one library and index (default: the pipeline's own)")
    parser.add_argument("--json", action="store_true", help="print the figures (and every row) as JSON")
    parser.add_argument("--retrieval-only", action="store_true",
                        help="rank the expected pages without any answer model (bench/retrieval_quality.py)")
    args = parser.parse_args()
    if args.retrieval_only:
        import retrieval_quality

        result = retrieval_quality.run(args.questions, verbose=not args.json, qa_set=args.qa_set)
        if args.json:
            print(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            retrieval_quality.report(result)
        return
    shapes = [parse_shape(shape) for shape in (args.shape or "").split(",") if shape]
    try:
        results = run(args.questions, args.engine, args.model, verbose=not args.json, qa_set=args.qa_set,
                      prompt_style=args.prompt, shapes=shapes)
    except EngineError as exc:
        sys.exit(f"answer_quality: {exc}")
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2, ensure_ascii=False))
    else:
        for result in results:
            report(result)


if __name__ == "__main__":
    main()
