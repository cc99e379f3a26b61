"""archivist-cli summarize FILE…: read every passage of the files and summarize (one) or compare (several)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import asdict

from core.cli_ask import add_engine_arguments, engine_from_args


def add_parser(sub, common) -> None:
    p = sub.add_parser("summarize", parents=[common],
                       help="summarize a whole file, or compare several (reads all of them, not a few passages)")
    p.add_argument("files", nargs="+", metavar="FILE", help="indexed files (see 'archivist-cli files')")
    p.add_argument("--focus", default="", help='what to pay attention to, e.g. "costs and deadlines"')
    add_engine_arguments(p, strict=False)


def cmd_summarize(archivist, args, reporter) -> int:
    engine = engine_from_args(args, archivist.data_dir)
    if engine is None:
        return 1
    return run(archivist, engine, [os.path.abspath(f) for f in args.files], args.focus, args.json)


def run(archivist, engine, paths: list[str], focus: str, json_mode: bool) -> int:
    """Summarize or compare, streaming to the terminal (also used by 'ask' for such questions)."""
    from core.answer.pipeline import Token
    from core.answer.summarize import NotIndexed, Progress, Summarized, summarize
    from core.llm.base import EngineError

    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    bar = done = None
    try:
        if not json_mode:
            print(f"({engine.describe()}; Ctrl-C stops)", file=sys.stderr)
        for event in summarize(archivist, engine, paths, focus, cancel=cancel):
            if isinstance(event, Progress) and not json_mode:
                bar = _show_progress(bar, event)
            elif isinstance(event, Token) and not json_mode:
                print(event.text, end="", flush=True)
            elif isinstance(event, Summarized):
                done = event
    except NotIndexed as exc:
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return 1
    except EngineError as exc:
        print(f"\narchivist-cli: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
        if bar is not None:
            bar.close()
    if json_mode:
        print(json.dumps(dict(asdict(done), caveat=done.caveat), indent=2, default=str))
        return 0
    print()
    if done.status == "stopped":
        print("(stopped before the summary was written)", file=sys.stderr)
        return 130
    if done.citations:
        print("\nSources:")
    for c in done.citations:
        print(f"  [{c.n}] {c.path}{f' ({c.heading})' if c.heading else ''}")
    if done.caveat:
        print(f"\n{done.caveat}")
    print(f"\n(read {done.passages} passages in {done.parts} parts, "
          f"{done.timings['total_ms'] / 1000:.0f} s)", file=sys.stderr)
    return 0


def _show_progress(bar, event):
    """One bar per stage: reading the parts, combining the notes, then writing."""
    from tqdm import tqdm

    if event.stage == "write":
        if bar is not None:
            bar.close()
        return None
    if bar is None or bar.desc != event.stage:
        if bar is not None:
            bar.close()
        bar = tqdm(total=event.total, desc=event.stage, unit="part", file=sys.stderr, dynamic_ncols=True)
    bar.update(event.done - bar.n)
    bar.set_postfix_str(event.label)
    return bar
