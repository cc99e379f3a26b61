"""archivist-cli style: the house style from the command line (core/style/studio.py does the work).

    style examples          what there is to learn from, and what is missing
    style import FILE       add your own question/answer pairs (JSONL or CSV), checked against your documents
    style train             learn a style in the background (Ctrl-C stops; run it again to resume)
    style status            the training in progress, and the style in use
    style compare [N]       style N (default: the newest) side by side with the plain model, and the verdict
    style list              every kept style with its scores; the one in use is marked
    style use N|none        answer with style N (or none; a style the comparison held back needs --force);
                            style revert goes back one step (registered with Ollama when Ollama answers
                            with the style's base model)
    style remove N          delete a kept style
"""

from __future__ import annotations

import json
import sys

from core import cli_style_compare

ACTIONS = ["examples", "import", "train", "status", "compare", "list", "use", "revert", "remove"]


def add_parser(sub, common) -> None:
    p = sub.add_parser("style", parents=[common], help="house style: learn tone and format from your own answers")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("target", nargs="?", help="import: a JSONL or CSV file; use/remove/compare: a version (3 or v3), "
                   "or none")
    p.add_argument("--base", help="the built-in model, GGUF file, or ollama:NAME (an Ollama model whose files "
                        "are on this computer) to train on (default: the built-in default)")
    p.add_argument("--epochs", type=int, help="passes over the examples (default 3)")
    p.add_argument("--rank", type=int, help="LoRA rank (default 16; alpha is twice the rank)")
    p.add_argument("--learning-rate", type=float, help="default 2e-4")
    p.add_argument("--max-steps", type=int, help="stop after this many optimiser steps (a quick trial)")
    p.add_argument("--min-examples", type=int, help="train on fewer examples than the usual minimum (20)")
    p.add_argument("--force", action="store_true", help="remove: even the style in use; use: even a style the "
                   "comparison held back")
    p.add_argument("--engine", choices=["auto", "ollama", "embedded"], default="auto",
                   help="use/revert: register the style with Ollama when it runs (auto), insist (ollama), or not")
    p.add_argument("--model", help="use/revert: the Ollama model to register the style for (default: Ollama's default)")
    cli_style_compare.add_arguments(p)


def cmd_style(archivist, args, reporter) -> int:
    from core.llm.base import EngineError
    from core.style.errors import StyleError
    from core.style.studio import HouseStyle

    studio = HouseStyle(archivist.data_dir)
    try:
        return _ACTIONS[args.action](studio, archivist, args)
    except (StyleError, EngineError) as exc:  # the model missing or its process gone: said, not a traceback
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return 1


def _engine_for(args, model_path=None):
    from core.cli_style_ollama import ollama_training_base
    from core.llm.embedded_engine import EmbeddedEngine

    if model_path is None:
        ollama = ollama_training_base(args.base)
        model_path = str(ollama.path) if ollama else args.base
    engine = EmbeddedEngine(model_path)
    engine.check()
    return engine


def _examples(studio, archivist, args) -> int:
    engine = _engine_for(args)
    try:
        found = studio.collect(engine.count_tokens, engine.context_length(), minimum=_minimum(args))
    finally:
        engine.close()
    problems = [str(p) for p in found.problems]
    if args.json:
        print(json.dumps({"train": len(found.train), "validation": len(found.validation), "counts": found.counts,
                          "ready": found.ready, "problems": problems}, indent=2))
        return 0
    counts = ", ".join(f"{n} {origin}" for origin, n in sorted(found.counts.items())) or "none"
    print(f"examples: {counts}; {len(found.train)} to train on, {len(found.validation)} held out to compare")
    for problem in problems:
        print(f"  - {problem}")
    print("ready to train: `archivist-cli style train`" if found.ready else
          "not ready: rate answers up, correct them (`archivist-cli feedback ideal`), or `style import` a file")
    return 0


def _import(studio, archivist, args) -> int:
    if not args.target:
        print("archivist-cli: style import needs a JSONL or CSV file", file=sys.stderr)
        return 2
    engine = _engine_for(args)
    try:
        report = studio.import_file(args.target, archivist, engine)
    finally:
        engine.close()
    if args.json:
        print(json.dumps({"read": report.read, "kept": report.kept, "added": report.added,
                          "problems": report.problems}, indent=2))
    else:
        print(f"{report.read} pairs read; {report.kept} supported by your documents ({report.added} new)")
        for problem in report.problems:
            print(f"  - {problem}")
    return 0 if report.kept or not report.read else 1


def _train(studio, archivist, args) -> int:
    import signal

    from core.cli_style_ollama import ollama_training_base
    from core.style.ollama_base import check_training_prompts
    from core.style.studio import NotReady, training_parameters
    from core.style.train_process import CANCELLED, FINISHED

    ollama = ollama_training_base(args.base, studio.registry.digests, training=True)
    params = training_parameters(args.epochs, args.rank, args.learning_rate, args.max_steps)
    engine = _engine_for(args, str(ollama.path) if ollama else None)
    try:
        job = studio.prepare_training(
            engine, params, _minimum(args), base_name=ollama.name if ollama else None,
            check=(lambda base, examples: check_training_prompts(base, ollama, examples)) if ollama else None)
    except NotReady as exc:
        for problem in exc.examples.problems:
            print(f"  - {problem}", file=sys.stderr)
        print("archivist-cli: not enough examples to train on (see `style examples`)", file=sys.stderr)
        return 1
    finally:
        engine.close()
    job.start()
    previous = signal.signal(signal.SIGINT, lambda *_: job.cancel())  # the child also gets it from the terminal
    try:
        status = job.wait(on_status=lambda s: _show_progress(s, args.json))
    finally:
        signal.signal(signal.SIGINT, previous)
    if not args.json:
        print(file=sys.stderr)
    if status.get("state") == CANCELLED:
        print(f"stopped after step {status.get('step')}; `archivist-cli style train` again resumes there",
              file=sys.stderr)
        return 130
    if status.get("state") != FINISHED:
        print(f"archivist-cli: training failed: {status.get('error', status.get('state'))}", file=sys.stderr)
        return 1
    style = studio.register_finished(job)
    if not args.json:
        print(f"{style.label} is ready ({status['steps']} steps in {status['seconds']:.0f} s).")
    gate = None if args.no_compare else cli_style_compare.after_training(studio, archivist, args.base, style, args.json)
    if args.json:
        print(json.dumps({"version": style.version, "label": style.label, "status": status, "gate": gate}, indent=2))
    elif gate is None or gate.get("passed"):
        print(f"Answer with it: `archivist-cli style use {style.version}`"
              + ("" if gate is not None else f" (compare it first: `archivist-cli style compare {style.version}`)"))
    return 0


def _show_progress(status: dict, json_mode: bool) -> None:
    if json_mode or status.get("state") != "running" or not status.get("total_steps"):
        return
    eta = status.get("eta_s")
    left = f", about {_duration(eta)} left" if eta is not None else ""
    print(f"\rtraining: step {status['step']}/{status['total_steps']}, loss {status.get('loss', 0):.3f}, "
          f"{status.get('tokens_per_s', 0):.0f} tokens/s{left}   ", end="", file=sys.stderr, flush=True)


def _status(studio, archivist, args) -> int:
    status = studio.training_status()
    active = studio.registry.active()
    if args.json:
        print(json.dumps({"training": status, "active": active.label if active else None}, indent=2))
        return 0
    print(f"in use: {active.label if active else 'no house style'}")
    state = status.get("state")
    if state == "running":
        print(f"training: step {status.get('step', 0)}/{status.get('total_steps', '?')}, "
              f"about {_duration(status.get('eta_s'))} left")
    elif state not in (None, "not started"):
        print(f"last training: {state}" + (f" ({status['error']})" if status.get("error") else ""))
    return 0


def _list(studio, archivist, args) -> int:
    from core.style.studio import verdict

    active = studio.registry.active()
    styles = studio.registry.list()
    if args.json:
        print(json.dumps([{**s.manifest.to_json(), "label": s.label, "active": active is not None
                           and s.version == active.version} for s in styles], indent=2))
        return 0
    if not styles:
        print("no house style yet: `archivist-cli style examples` shows what there is to learn from")
    for style in styles:
        mark = "*" if active is not None and style.version == active.version else " "
        m = style.manifest
        gate = verdict(style)
        print(f"{mark} v{m.version}  {m.created_at}  on {m.base.name}  {m.train_examples} examples"
              + (f" · {gate}" if gate else ""))
    return 0


def _use(studio, archivist, args) -> int:
    if not args.target:
        print("archivist-cli: style use needs a version (e.g. 3) or none", file=sys.stderr)
        return 2
    from core.cli_style_ollama import register_with_ollama
    from core.style.studio import held_back

    version = _version(args.target)
    if version is not None and not args.force:
        why = held_back(studio.registry.get(version))
        if why:
            print(f"archivist-cli: v{version} was held back when compared with the plain model: {why}. "
                  f"Use it anyway with `archivist-cli style use {version} --force`", file=sys.stderr)
            return 1
    style = studio.registry.use(version)
    print(f"answers now use {style.label}" if style else "answers now use no house style")
    return register_with_ollama(studio, style, args)


def _compare(studio, archivist, args) -> int:
    return cli_style_compare.cmd_compare(studio, archivist, args, _version(args.target or "none"))


def _revert(studio, archivist, args) -> int:
    from core.cli_style_ollama import register_with_ollama

    style = studio.registry.revert()
    print(f"back to {style.label}" if style else "back to no house style")
    return register_with_ollama(studio, style, args)


def _remove(studio, archivist, args) -> int:
    version = _version(args.target or "")
    if version is None:
        print("archivist-cli: style remove needs a version", file=sys.stderr)
        return 2
    from core.cli_style_ollama import forget_in_ollama
    from core.style.ollama_sync import registered_models

    models = registered_models(studio.registry.get(version))
    studio.registry.remove(version, force=args.force)
    print(f"removed v{version}")
    forget_in_ollama(models)
    return 0


def _version(text: str) -> int | None:
    from core.style.errors import StyleError

    if text.lower() in ("none", "off", ""):
        return None
    try:
        return int(text.lower().lstrip("v"))
    except ValueError:
        raise StyleError(f"'{text}' is not a style version (e.g. 3 or v3, or none)") from None


def _minimum(args) -> int:
    from core.style.examples import MIN_EXAMPLES

    return args.min_examples if args.min_examples is not None else MIN_EXAMPLES


def _duration(seconds) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


_ACTIONS = {"examples": _examples, "import": _import, "train": _train, "status": _status, "compare": _compare,
            "list": _list, "use": _use, "revert": _revert, "remove": _remove}
