"""House style (issue 10): what training costs on this CPU, what the adapter costs when answering,
and whether a style learnt from realistic examples follows the style and stays grounded.

    python bench/style_training.py [--models smollm2-135m,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b]
        [--full smollm2-135m] [--examples 100] [--epochs 3] [--probe-steps 3] [--rounds 3]
        [--qa-questions N] [--rehearse | --no-rehearse] [--refusal-rate R] [--rehearsal-share S]
        [--dev N] [--json]

Settings (refusal rate, rehearsal share) are to be chosen on ``--dev`` examples, taken out of
training and compared apart; the held-out examples and the QA set are only reported.

The library: bench/qa_library.py's main QA set, plus reference notes made from the standard
library's documentation (one note per module, a section per function: distinct real text). The
examples are the user's own pairs as `style import` takes them: "What does f() in the m module
do?" answered in a house style the models do not write by themselves ("In short: <first sentence of
the docstring>" and the next sentences as bullets), grounded in the index and cited by the app's own
code (core/style/grounding.py), refusals added at the app's rate, split as the app splits them.

For every model installed:
- training throughput (tokens/s, examples/s, after the first step: loading and warm-up excluded) and
  the time to train ``--examples`` × ``--epochs``: a real run for the models in ``--full``, else the
  rate of ``--probe-steps`` steps times the run's tokens (assumption printed);
- generation with and without the adapter, the same prompts in one run, interleaved: prefill and
  decode speed and their ratios;
- for a fully trained model: style adherence base vs styled on the held-out examples, and expected
  values, citation accuracy and refusals base vs styled on the main QA set, through
  core/style/compare.py, with the gate's verdict. The style checks are derived from the training
  examples only; nothing is tuned on what is reported.

With ``--rehearse`` (the default, as the app trains) a fully trained model first answers the
questions of two other QA sets as the user's history (bench/style_history.py); its answers the app
would rehearse are trained on beside the examples, and those held out are asked as "asked before".
"""


from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF loader draws progress bars

import qa_library  # noqa: E402
from style_costs import available_memory_gb, generation_speed, training_memory_gb  # noqa: E402
import style_history  # noqa: E402
from common import open_archivist  # noqa: E402
from corpus import module_texts  # noqa: E402

from core.answer.sentences import split_sentences  # noqa: E402
from core.llm.embedded_engine import EmbeddedEngine  # noqa: E402
from core.style import examples as ex, rehearsal, style_checks  # noqa: E402
from core.style.compare import Question, asked_before, compare, figures, from_examples  # noqa: E402

MODELS = ("smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b")
_ENTRY = re.compile(r"^    ([A-Za-z]\w*)\(([^()]*)\)\n((?:        .*\n|[ \t]*\n)+)", re.MULTILINE)


def function_docs(seed: int = 0) -> list[tuple[str, str, str, list[str]]]:
    """(module, function, arguments, docstring sentences) from pydoc's pages of the standard
    library, each function once, with a docstring of two sentences or more."""
    found = []
    for text in module_texts(limit=400):
        name = re.search(r"^NAME\n    (\S+)", text, re.MULTILINE)
        for entry in _ENTRY.finditer(text) if name else ():
            doc = " ".join(entry.group(3).split())
            sentences = [s.of(doc) for s in split_sentences(doc)]
            if len(sentences) >= 2 and 4 <= len(sentences[0].split()) <= 40 and len(doc) <= 700:
                found.append((name.group(1), entry.group(1), entry.group(2), sentences))
    random.Random(seed).shuffle(found)
    return found


def build_library(root: Path, docs) -> dict:
    shape = qa_library.build(root / "qa")
    by_module: dict[str, list] = {}
    for module, function, arguments, sentences in docs:
        by_module.setdefault(module, []).append(f"## {function}({arguments})\n\n{' '.join(sentences)}")
    for module, sections in by_module.items():
        path = root / "reference" / f"{module}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# The {module} module\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    return {**shape, "reference_notes": len(by_module), "functions": len(docs)}


def styled_pairs(docs, wanted: int):
    from core.style.importing import ImportedPair

    pairs = []
    for i, (module, function, _, sentences) in enumerate(docs[:wanted], 1):
        bullets = "\n".join(f"- {s}" for s in sentences[1:3])
        pairs.append(ImportedPair(f"What does {function}() in the {module} module do?",
                                  f"In short: {sentences[0]}\n\n{bullets}", f"pair {i}"))
    return pairs


def make_examples(archivist, engine, docs, wanted: int, say, refusal_rate: float = ex.REFUSAL_RATE,
                  dev: int = 0) -> tuple[list, list, list, dict]:
    """(train, held out, development, figures). ``dev``: about this many examples taken out of
    training to choose settings on, so the held-out examples are only ever reported."""
    from core.style.grounding import ground_imported

    started = time.perf_counter()
    kept, dropped = ground_imported(styled_pairs(docs, 2 * wanted), archivist, engine.count_tokens,
                                    engine.context_length())
    every = kept + ex.refusals(kept, refusal_rate)
    train, validation = ex.split(every)
    train, development = ex.split(train, dev / len(train), seed=1) if dev and train else (train, [])
    say(f"examples: {len(kept)} grounded of {len(kept) + len(dropped)} pairs ({len(every) - len(kept)} refusals "
        f"added), {len(train)} to train on, {len(validation)} held out; {time.perf_counter() - started:.0f} s")
    train = take_keeping_refusals(train, wanted)
    return train, validation, development, {
        "grounded": len(kept), "pairs": len(kept) + len(dropped), "train": len(train), "refusal_rate": refusal_rate,
        "refusals_in_train": sum(e.origin == "refusal" for e in train), "held_out": len(validation),
        "development": len(development)}


def take_keeping_refusals(examples, wanted: int) -> list:
    """``wanted`` of the examples with the refusals' share kept (they come last in the set)."""
    refusals = [e for e in examples if e.origin == "refusal"]
    if len(examples) <= wanted:
        return list(examples)
    keep = round(wanted * len(refusals) / len(examples))
    answered = [e for e in examples if e.origin != "refusal"][:wanted - keep]
    return answered + refusals[:keep]


def train_once(name: str, base, train_examples, epochs: int, max_steps: int | None, work: Path) -> dict:
    from core.style.training import HyperParameters, train

    marks = []  # (seconds, tokens, examples) after each step
    params = HyperParameters(epochs=epochs, max_steps=max_steps)
    started = time.perf_counter()
    result = train(base, train_examples, params, work / name,
                   on_progress=lambda p: marks.append((time.perf_counter(), p.tokens, p.step * params.batch_size)))
    first, last = marks[0], marks[-1]
    span = last[0] - first[0]
    return {"adapter": str(result.adapter_path), "steps": result.steps, "batch_size": params.batch_size,
            "seconds": round(time.perf_counter() - started, 1), "train_seconds": round(result.seconds, 1),
            "load_and_first_step_s": round(first[0] - started, 1), "first_step_tokens": first[1],
            "tokens_per_s": round((last[1] - first[1]) / span, 1) if span else result.tokens_per_s,
            "examples_per_s": round((last[2] - first[2]) / span, 3) if span else result.examples_per_s,
            "tokens_per_s_with_first_step": round(result.tokens_per_s, 1), "final_loss": result.losses[-1],
            "peak_rss_gb_so_far": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 1)}


def run_tokens(engine, base, train_examples, epochs: int) -> int:
    """Tokens a run passes through the model: prompt and answer of every example, every epoch."""
    per_epoch = sum(engine.count_tokens(base.chat_format.render(e.messages()))
                    + engine.count_tokens(e.answer.strip() + base.end_of_turn) for e in train_examples)
    return per_epoch * epochs


def rehearsed(archivist, engine, train_examples, validation, say, limit=None,
              share: float = rehearsal.REHEARSAL_SHARE) -> tuple[list, list, dict]:
    """The model's own answers to the history's questions that the app would rehearse, split as
    the app splits them: (to train on, held out to ask, figures)."""
    history = style_history.answer_and_save(archivist, engine, style_history.questions()[:limit], say)
    pool = rehearsal.from_history(archivist.data_dir, rehearsal.wanted(len(train_examples), share),
                                  {e.question for e in train_examples + validation})
    pool, _ = ex.validate(pool, engine.count_tokens, engine.context_length(), minimum=0)
    train, held = ex.split(pool)
    say(f"rehearsal: {len(pool)} of {history['asked']} earlier answers usable, {len(train)} trained on, "
        f"{len(held)} held out; history {json.dumps(history)}")
    return train, held, {**history, "usable": len(pool), "train": len(train), "held_out": len(held)}


def base_vs_styled(archivist, model: str, adapter: str, train_examples, validation, root: Path,
                   qa_questions: int | None, say, earlier=(), development=()) -> dict:
    dev = [dataclasses.replace(q, origin="development") for q in from_examples(development)]
    held = from_examples(validation) + dev + asked_before(earlier)
    facts = qa_library.FACTS[:qa_questions] if qa_questions else qa_library.FACTS
    qa = [Question(f.question, expected=f.answers, file=str(root / "qa" / f.file), page=f.page, origin="qa")
          for f in facts] + [Question(q, refuse=True, origin="qa") for q in qa_library.OFF_TOPIC]
    answers = [e.answer for e in train_examples if e.origin != rehearsal.ORIGIN]
    similarity = style_checks.Similarity(archivist.embedder, answers)
    checks = style_checks.derive(answers, [e.original for e in train_examples if e.origin == "corrected"],
                                 similarity.floor())
    engine = EmbeddedEngine(model)
    try:
        comparison = compare(archivist, engine, (adapter, 1.0), "house style", held + qa, checks, similarity,
                             progress=lambda which, i, n, run: say(f"  {which} {i}/{n} {run.answered.status:8} "
                                                                   f"{' '.join(run.answered.text.split())[:90]}"))
    finally:
        engine.close()
    d, n, m = len(held) - len(earlier) - len(dev), len(held) - len(earlier), len(held)
    parts = {"held_out": (comparison.base[:d], comparison.styled[:d]), "development": (comparison.base[d:n], comparison.styled[d:n]),
             "asked": (comparison.base[n:m], comparison.styled[n:m]),
             "qa": (comparison.base[m:], comparison.styled[m:])}
    result = {part: {"base": figures(b), "styled": figures(s)} for part, (b, s) in parts.items()}
    result["checks"] = checks.to_json()
    # The development examples chose the settings: judged with the rest they would count as "your
    # questions" and could hide a loss on the QA set (they did: QA expected values 37 % → 30 %).
    result["gate"] = comparison.leaving_out("development").verdict()
    result["examples"] = [{"question": q.text, "base": b.text, "styled": s.text}
                          for q, b, s in list(zip(comparison.questions, comparison.base, comparison.styled))[:3]]
    return result


def run(args, say) -> dict:
    from core.style.base_model import BaseModel

    work = Path(tempfile.mkdtemp(prefix="archivist-style-bench-"))
    docs = function_docs()
    shape = build_library(work / "docs", docs)
    if args.rehearse:
        shape["history_libraries"] = style_history.build_libraries(work / "docs")
    archivist = open_archivist(work / "data")
    out: dict = {"library": shape, "models": {}, "work": str(work)}
    try:
        archivist.add_source(work / "docs")
        started = time.perf_counter()
        archivist.sync()
        say(f"library: {shape}; indexed in {time.perf_counter() - started:.0f} s")
        grounding_engine = EmbeddedEngine("smollm2-135m")
        try:
            train_examples, validation, development, out["examples"] = make_examples(
                archivist, grounding_engine, docs, args.examples, say, args.refusal_rate, args.dev)
        finally:
            grounding_engine.close()
        for model in args.models:
            engine = EmbeddedEngine(model)
            if engine.model_path is None or not Path(engine.model_path).is_file():
                say(f"{model}: not installed here, skipped (`archivist-cli models install {model}`)")
                out["models"][model] = {"installed": False}
                continue
            base = BaseModel.read(engine.model_path)
            needed, free = training_memory_gb(engine.model_path), available_memory_gb()
            if free is not None and free < needed:
                say(f"{model}: not trained: about {needed:.1f} GB of memory needed (fp32 weights), {free:.1f} GB "
                    "available now (other work on this machine)")
                out["models"][model] = {"installed": True, "skipped": f"{free:.1f} GB free, {needed:.1f} GB needed"}
                engine.close()
                continue
            full = model in args.full
            model_train, earlier = train_examples, []
            try:
                if full and args.rehearse:
                    rehearse, earlier, out.setdefault("rehearsal", {})[model] = rehearsed(
                        archivist, engine, train_examples, validation + development, say, args.history,
                        args.rehearsal_share)
                    model_train = train_examples + rehearse
                tokens = run_tokens(engine, base, model_train, args.epochs)
            finally:
                engine.close()
            if model in args.adapter:  # trained by an earlier run on the same examples
                trained = {"adapter": args.adapter[model], "reused": True, "run_tokens": tokens}
                say(f"{model}: the adapter of an earlier run: {args.adapter[model]}")
            else:
                say(f"{model}: training {'a full run' if full else f'{args.probe_steps} steps'} "
                    f"({len(model_train)} examples × {args.epochs} epochs = {tokens:,} tokens)")
                trained = train_once(model, base, model_train, args.epochs, None if full else args.probe_steps,
                                     work / "runs")
                trained["run_tokens"], trained["examples"] = tokens, len(model_train)
                trained["run_seconds_estimate"] = round(
                    trained["load_and_first_step_s"] + (tokens - trained["first_step_tokens"]) / trained["tokens_per_s"])
                trained["full_run"] = full
                say(f"  {json.dumps(trained)}")
            result = {"installed": True, "training": trained}
            out["models"][model] = result
            prompts = [e.messages() for e in validation if e.origin != "refusal"][:4]
            result["generation"] = generation_speed(model, trained["adapter"], prompts, args.rounds)
            say(f"  generation: {json.dumps(result['generation'])}")
            save(out, args.out)
            if full:
                result["compare"] = base_vs_styled(archivist, model, trained["adapter"], model_train, validation,
                                                   work / "docs", args.qa_questions, say, earlier, development)
                save(out, args.out)
    finally:
        archivist.close()
    return out


def save(out: dict, path: str | None) -> None:
    """What is measured so far, kept after every phase: a run of an hour should not be lost at its end."""
    if path:
        Path(path).write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")


def report(out: dict, args) -> None:
    def pct(value):
        return "n/a" if value is None else f"{100 * value:.1f} %"

    e = out["examples"]
    print(f"\nexamples: {e['grounded']} of {e['pairs']} pairs grounded; {e['train']} trained on "
          f"({e['refusals_in_train']} refusals, rate {e.get('refusal_rate', 'n/a')}), {e['held_out']} held out, "
          f"{e.get('development', 0)} for development")
    for model, r in out.get("rehearsal", {}).items():
        print(f"{model}: rehearsal: {r['usable']} of {r['asked']} earlier answers usable ({r['by_status']}), "
              f"{r['train']} trained on beside the examples, {r['held_out']} held out and asked")
    for model, r in out["models"].items():
        if not r["installed"] or r.get("skipped"):
            print(f"{model}: {'not installed' if not r['installed'] else 'not trained: ' + r['skipped']}, skipped")
            continue
        t, g = r["training"], r["generation"]
        if t.get("reused"):
            print(f"{model}: adapter of an earlier run ({t['adapter']}); training figures: see that run")
        else:
            how = ("measured (a real run)" if t["full_run"] else
                   f"estimated: loading and the first step as measured, then the other {t['run_tokens']:,} tokens "
                   f"at the rate of steps 2–{t['steps']}, assuming it holds over the run")
            print(f"{model}: training {t['tokens_per_s']} tokens/s, {t['examples_per_s']} examples/s (batch "
                  f"{t['batch_size']}, after the first step); {t.get('examples', args.examples)} examples × {args.epochs} epochs: "
                  f"{(t['seconds'] if t['full_run'] else t['run_seconds_estimate']) / 60:.1f} min, {how}; peak "
                  f"memory of the bench so far {t['peak_rss_gb_so_far']} GB")
        print(f"  generation with the adapter: decode {g['base']['decode_tokens_per_s']} → "
              f"{g['adapter']['decode_tokens_per_s']} tokens/s (slowdown ×{g['decode_ratio']}), prefill "
              f"{g['base']['prefill_s']} → {g['adapter']['prefill_s']} s (×{g['prefill_ratio']}); "
              f"{g['samples']} answers each, interleaved")
        c = r.get("compare")
        if c:
            for part, label in (("held_out", "held-out examples"), ("development", "development examples"),
                                ("asked", "asked before (held out of rehearsal)"),
                                ("qa", "main QA set")):
                b, s = c[part]["base"], c[part]["styled"]
                if not s["questions"]:
                    continue
                print(f"  {label}: adherence {pct(b['adherence'])} → {pct(s['adherence'])} (of {s['answers_written']}), "
                      f"similarity {b['similarity']} → {s['similarity']}, expected values "
                      f"{pct(b['expected_value_rate'])} → {pct(s['expected_value_rate'])}, citation accuracy "
                      f"{pct(b['citation_accuracy'])} → {pct(s['citation_accuracy'])} (with inferred "
                      f"{pct(b['citation_accuracy_with_inferred'])} → {pct(s['citation_accuracy_with_inferred'])}), "
                      f"off-topic refused {pct(b['refusal_rate'])} → {pct(s['refusal_rate'])}, answerable refused "
                      f"{pct(b['false_refusals'])} → {pct(s['false_refusals'])}, asked-before refused "
                      f"{pct(b['asked_refusals'])} → {pct(s['asked_refusals'])}")
            print(f"  checks (derived from the training examples): {json.dumps(c['checks'])}")
            print(f"  gate: {'passed' if c['gate']['passed'] else 'held back'}: {c['gate']['reason']}")
            for sample in c["examples"]:
                print(f"  e.g. {sample['question']!r}\n    base:   {sample['base'][:160]!r}\n    styled: {sample['styled'][:160]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(MODELS), help="built-in models, comma-separated")
    parser.add_argument("--full", default="smollm2-135m", help="models trained for the whole run (others: probe)")
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--probe-steps", type=int, default=3, help="steps measured for a model not fully trained")
    parser.add_argument("--rounds", type=int, default=3, help="generation: rounds over the prompts")
    parser.add_argument("--qa-questions", type=int, help="only the first N questions of the main QA set")
    parser.add_argument("--adapter", action="append", default=[], metavar="MODEL=PATH",
                        help="use this adapter of an earlier run (same examples) instead of training")
    parser.add_argument("--rehearse", action=argparse.BooleanOptionalAction, default=True,
                        help="rehearse the model's own earlier answers (as the app trains)")
    parser.add_argument("--refusal-rate", type=float, default=ex.REFUSAL_RATE, help="share of refusals made")
    parser.add_argument("--rehearsal-share", type=float, default=rehearsal.REHEARSAL_SHARE)
    parser.add_argument("--dev", type=int, default=0, help="examples taken out of training to choose settings on")
    parser.add_argument("--history", type=int, help="only the first N questions of the history (a quick run)")
    parser.add_argument("--out", help="keep the figures in this JSON file after every phase")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.models = [m for m in args.models.split(",") if m]
    args.adapter = dict(a.split("=", 1) for a in args.adapter)
    args.full = {m for m in args.full.split(",") if m}
    say = (lambda line: print(line, file=sys.stderr, flush=True))
    out = run(args, say)
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        report(out, args)


if __name__ == "__main__":
    main()
