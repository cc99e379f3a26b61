"""archivist-cli ask: stream an answer, then list the sources it rests on (file and page)."""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import asdict


def add_parser(sub, common) -> None:
    p = sub.add_parser("ask", parents=[common], help="answer a question from your documents, with sources")
    p.add_argument("question")
    p.add_argument("--engine", choices=["auto", "ollama", "embedded"], default="auto",
                   help="Ollama if it is running (auto, the default), or the built-in engine")
    p.add_argument("--model", help="Ollama model name, or a GGUF file for the built-in engine")
    p.add_argument("--no-strict", action="store_true",
                   help="answer even when no passage looks relevant (the model may then guess)")
    p.add_argument("-k", "--limit", type=int, default=8, help="passages to retrieve (default 8)")


def cmd_ask(archivist, args, reporter) -> int:
    from core.answer.pipeline import Answered, Retrieved, Token, ask
    from core.llm.base import EngineError
    from core.llm.select import select_engine

    gguf = args.model if args.model and args.model.endswith(".gguf") else None
    try:
        engine = select_engine(args.engine, ollama_model=None if gguf else args.model, gguf=gguf)
    except EngineError as exc:
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return 1
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    retrieved = done = None
    try:
        if not args.json:
            print(f"({engine.describe()})", file=sys.stderr)
        for event in ask(archivist, engine, args.question, strict=not args.no_strict, k=args.limit,
                         cancel=cancel):
            if isinstance(event, Retrieved):
                retrieved = event
            elif isinstance(event, Token) and not args.json:
                print(event.text, end="", flush=True)
            elif isinstance(event, Answered):
                done = event
    except EngineError as exc:
        print(f"\narchivist-cli: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        print(json.dumps({"answer": asdict(done), "query": retrieved.query, "trace": retrieved.trace,
                          "sources": [{"n": s.n, **asdict(s.hit)} for s in retrieved.sources]},
                         indent=2, default=str))
        return 0
    if done.status == "refused":
        print(done.text)
        print("\nNearest passages (none looked relevant enough to answer from):")
        shown = retrieved.sources[:3]
    else:
        print()
        cited = {c.n for c in done.citations}
        shown = [s for s in retrieved.sources if s.n in cited] or retrieved.sources
        label = "Sources" if cited else "Passages given to the model (it cited none)"
        print(f"\n{label}:")
    for source in shown:
        hit = source.hit
        where = f"p. {hit.page}" if hit.page else f"chars {hit.start}-{hit.end}"
        print(f"  [{source.n}] {hit.path} ({where}){' · ' + hit.heading if hit.heading else ''}")
    if done.status in ("stopped", "interrupted"):
        print(f"\n({done.status}{': ' + done.error if done.error else ''})", file=sys.stderr)
    return 0
