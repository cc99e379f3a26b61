"""archivist-cli style compare: a house style side by side with the plain model, and the gate's verdict
(core/style/evaluation.py does the work). Also the quick comparison run after `style train`, and the
check `style use` makes of a style the gate held back."""

from __future__ import annotations

import json
import sys
import textwrap

WIDTH = 100


def add_arguments(p) -> None:
    p.add_argument("--questions", metavar="FILE", help="compare: also these questions (JSON/JSONL with "
                   "question, expected, file, page, refuse; or one question per line)")
    p.add_argument("--strength", type=float, help="compare: the style's strength (adapter scale, 0-2; "
                   "default: the setting style_strength, 1.0)")
    p.add_argument("--against", metavar="VERSION", help="compare: with this style instead of the plain model "
                   "(the verdict is then shown, not kept)")
    p.add_argument("--no-compare", action="store_true", help="train: skip the comparison on held-out examples")


def cmd_compare(studio, archivist, args, version: int | None) -> int:
    from core.style.apply import checked_strength, configured_strength
    from core.style.compare import read_questions
    from core.style.errors import StyleError
    from core.style.evaluation import engine_for_style, evaluate

    style = studio.registry.get(version) if version is not None else _newest(studio)
    against = studio.registry.get(_version_of(args.against)) if args.against else None
    try:
        strength = (checked_strength(args.strength) if args.strength is not None
                    else configured_strength(studio.data_dir))
    except ValueError as exc:
        raise StyleError(str(exc)) from None
    questions = read_questions(args.questions) if args.questions else []
    engine = engine_for_style(style, studio.registry, args.base)
    try:
        evaluation = evaluate(studio, archivist, engine, style, questions=questions, strength=strength,
                              against=against, progress=None if args.json else _progress)
    finally:
        engine.close()
    if args.json:
        print(json.dumps(evaluation.to_json(), indent=2, ensure_ascii=False))
    else:
        print(file=sys.stderr)
        show(evaluation)
    return 0


def after_training(studio, archivist, engine_name: str | None, style, json_mode: bool) -> dict | None:
    """The quick comparison on held-out examples right after training; its verdict (or None when it
    could not run, saying why: the style is kept either way)."""
    from core.llm.base import EngineError
    from core.style.errors import StyleError
    from core.style.evaluation import check_after_training

    if not json_mode:
        print(f"comparing {style.label} with the plain model on held-out examples…", file=sys.stderr)
    try:
        evaluation = check_after_training(studio, archivist, style, engine_name,
                                          progress=None if json_mode else _progress)
    except (StyleError, EngineError) as exc:  # the style is kept either way
        print(f"\narchivist-cli: not compared: {exc}. Compare later: `archivist-cli style compare {style.version}`",
              file=sys.stderr)
        return None
    if not json_mode:
        print(file=sys.stderr)
        _show_figures(evaluation)
        print(_verdict_line(evaluation.gate, style.label))
    return evaluation.gate


def show(evaluation) -> None:
    c = evaluation.comparison
    print(f"{evaluation.style.label} (strength {evaluation.strength:g}) against {evaluation.against}: "
          f"{len(c.questions)} questions, the same passages and greedy decoding for both")
    for note in evaluation.notes:
        print(f"note: {note}")
    for n, (question, base, styled) in enumerate(zip(c.questions, c.base, c.styled), 1):
        where = f" [{question.origin}]" if question.origin else ""
        print(f"\n{n}. {question.text}{where}")
        for name, row in (("plain" if evaluation.against == "the plain model" else "before", base), ("styled", styled)):
            lines = [wrapped for line in (row.text.strip() or "(nothing)").splitlines()
                     for wrapped in (textwrap.wrap(line, WIDTH - 10) or [""])]
            print(f"  {name:<7} {lines[0]}")
            for line in lines[1:] + [f"-> {_row_facts(row)}"]:
                print(f"{'':10}{line}")
    checks = evaluation.checks
    source = "derived from your training examples" if checks.derived else "yours"
    print(f"\nstyle checks ({source}; define your own in {_checks_path(evaluation)}): "
          f"{json.dumps(checks.to_json(), ensure_ascii=False)}")
    _show_figures(evaluation)
    print(_verdict_line(evaluation.gate, evaluation.style.label))


def _show_figures(evaluation) -> None:
    b, s = evaluation.comparison.base_figures, evaluation.comparison.styled_figures
    rows = [("style adherence (all checks pass)", "adherence", "answers_written"),
            ("share of checks passed", "style_score", "answers_written"),
            ("similarity to your examples", "similarity", None),
            ("expected values stated", "expected_value_rate", "expected_value_questions"),
            ("citation accuracy (the model's [n])", "citation_accuracy", "citation_questions"),
            ("citations, counting those by wording", "citation_accuracy_with_inferred", None),
            ("refused, documents have no answer", "refusal_rate", "refusal_questions"),
            ("refused, documents have the answer", "false_refusals", "expected_value_questions"),
            ("refused, your earlier questions", "asked_refusals", "asked_questions"),
            ("seconds per answer", "seconds_mean", None)]
    print(f"{'':40} {evaluation.against:>18} {'styled':>10}")
    for label, key, count in rows:
        of = f"  (of {s[count]})" if count and s.get(count) is not None else ""
        if b.get(key) is None and s.get(key) is None:
            print(f"{label:40} {'not measured':>18}")
            continue
        print(f"{label:40} {_figure(key, b.get(key)):>18} {_figure(key, s.get(key)):>10}{of}")


def _verdict_line(gate: dict, label: str) -> str:
    if gate.get("passed"):
        head = "passed" if gate.get("judged", True) else "not judged"
        return f"verdict: {head}: {gate['reason']}"
    return (f"verdict: held back: {gate['reason']}. `archivist-cli style use` needs --force to answer with "
            f"{label}")


def _row_facts(row) -> str:
    if not row.styled_answer:
        facts = [row.status]
    else:
        checks = "; ".join(f"{'ok' if o.passed else 'NO'} {o.name}: {o.detail}" for o in row.outcomes)
        passed = sum(o.passed for o in row.outcomes)
        facts = [f"checks {passed}/{len(row.outcomes)}" + (f" ({checks})" if checks else "")]
    if row.states_answer is not None:
        facts.append(f"expected value {'stated' if row.states_answer else 'missing'}")
    if row.cites_right is not None:
        facts.append(f"cites {'the right passage' if row.cites_right else 'no right passage'}"
                     + (f" [{','.join(map(str, row.cited))}]" if row.cited else " (no [n])"))
    return "; ".join(facts)


def _figure(key: str, value) -> str:
    if value is None:
        return "n/a"
    if key == "seconds_mean":
        return f"{value:.1f} s"
    if key == "similarity":
        return f"{value:.2f}"
    return f"{100 * value:.0f} %"


def _checks_path(evaluation) -> str:
    from core.style.style_checks import CHECKS_FILE

    return str(evaluation.style.folder.parent / CHECKS_FILE)


def _progress(which: str, i: int, n: int, run) -> None:
    print(f"\ranswering {i}/{n} ({'plain' if which == 'base' else 'styled'})   ", end="", file=sys.stderr, flush=True)


def _newest(studio):
    from core.style.errors import StyleError

    styles = studio.registry.list()
    if not styles:
        raise StyleError("there is no house style to compare yet: `archivist-cli style train` makes one")
    return styles[-1]


def _version_of(text: str) -> int:
    from core.style.errors import StyleError

    try:
        return int(text.lower().lstrip("v"))
    except ValueError:
        raise StyleError(f"'{text}' is not a style version (e.g. 3 or v3)") from None
