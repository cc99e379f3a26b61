"""archivist-cli ask: stream an answer, then list the sources it rests on (file and page)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import asdict


def add_engine_arguments(p, strict: bool = True) -> None:
    """The options every answering command shares."""
    p.add_argument("--engine", choices=["auto", "ollama", "embedded"], default="auto",
                   help="Ollama if it is running (auto, the default), or the built-in engine")
    p.add_argument("--model", help="an Ollama model, a built-in model (qwen2.5-coder-1.5b, qwen2.5-coder-0.5b, "
                        "smollm2-135m: see `archivist-cli models`) or a GGUF file")
    p.add_argument("--no-style", action="store_true", help="answer without the house style (see `style list`)")
    if strict:
        p.add_argument("--no-strict", action="store_true",
                       help="answer even when no passage looks relevant (the model may then guess)")


def add_filter_arguments(p) -> None:
    """The options that narrow a search (search, ask)."""
    p.add_argument("--folder", help="only files under this folder")
    p.add_argument("--file", help="only this file")
    p.add_argument("--type", dest="kinds", action="append", default=[],
                   help="only this document type (pdf, markdown, html, docx, text, code …); repeatable")
    p.add_argument("--from", dest="sender", metavar="TEXT",
                   help="only mail from a sender whose name or address contains this (any case)")
    p.add_argument("--to", dest="recipient", metavar="TEXT",
                   help="only mail to or copied to someone whose name or address contains this")
    p.add_argument("--after", type=_when, metavar="DATE", help="only mail sent on or after this day (YYYY-MM-DD, UTC)")
    p.add_argument("--before", type=_when, metavar="DATE", help="only mail sent on or before this day (YYYY-MM-DD, UTC)")


def _when(text: str):
    from core.mail_filter import parse_when

    try:
        return parse_when(text)
    except ValueError as exc:
        import argparse

        raise argparse.ArgumentTypeError(str(exc)) from None


def filters_from_args(args):
    from core.search import Filters

    return Filters(folder=args.folder and os.path.abspath(args.folder),
                   path=args.file and os.path.abspath(args.file), kinds=tuple(args.kinds),
                   sender=args.sender, recipient=args.recipient, after=args.after, before=args.before)


def engine_from_args(args, data_dir=None):
    """The engine the options ask for, with the active house style where it fits (``--no-style``
    answers plainly), or None after printing why none can answer."""
    from core.llm.base import EngineError
    from core.llm.select import engine_for

    try:
        engine = engine_for(args.engine, args.model)
    except EngineError as exc:
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return None
    if data_dir is not None and not getattr(args, "no_style", False):
        from core.style.apply import apply_house_style

        apply_house_style(engine, data_dir)
    return engine


def add_parser(sub, common) -> None:
    p = sub.add_parser("ask", parents=[common], help="answer a question from your documents, with sources")
    p.add_argument("question")
    add_engine_arguments(p)
    p.add_argument("-k", "--limit", type=int, default=8, help="passages to retrieve (default 8)")
    add_filter_arguments(p)
    p.add_argument("--no-save", action="store_true",
                   help="do not keep this question and answer in the conversation history")


def cmd_ask(archivist, args, reporter) -> int:
    from core.answer.pipeline import Answered, EvidenceFound, Retrieved, Token, ask
    from core.answer.route import files_to_read_whole
    from core.cli_evidence import card_json, evidence_json, print_answer_sources, print_card, source_line
    from core.llm.base import EngineError
    from core.match_strength import describe_match

    engine = engine_from_args(args, archivist.data_dir)
    if engine is None:
        return 1
    whole = files_to_read_whole(archivist, args.question)
    if whole:  # "summarize X" / "compare X and Y": read the whole files, not a few passages
        from core import cli_summarize

        if not args.json:
            print(f"(reading all of {', '.join(map(os.path.basename, whole))})", file=sys.stderr)
        return cli_summarize.run(archivist, engine, whole, args.question, args.json)
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    retrieved = done = card = None
    try:
        if not args.json:
            print(f"({engine.describe()})", file=sys.stderr)
        for event in ask(archivist, engine, args.question, strict=not args.no_strict, k=args.limit,
                         filters=filters_from_args(args), cancel=cancel):
            if isinstance(event, EvidenceFound):
                card = event.sentences
                if not args.json:
                    print_card(card)
            elif isinstance(event, Retrieved):
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
    saved = None if args.no_save else _save(archivist, args.question, retrieved, done)
    if args.json:
        check = done.check.as_trace() if done.check else {}
        print(json.dumps({"answer": asdict(done), "query": retrieved.query, "trace": dict(retrieved.trace, **check),
                          "evidence": evidence_json(done), "check": check.get("check"),
                          "evidence_card": card_json(card or []),
                          "sources": [{"n": s.n, **asdict(s.hit), "match": describe_match(s.hit)}
                                      for s in retrieved.sources],
                          "conversation_id": saved and saved.conversation_id, "message_id": saved and saved.id},
                         indent=2, default=str))
        return 0
    if done.status == "refused":
        print(done.text)
        print("\nNearest passages (none looked relevant enough to answer from):")
        for source in retrieved.sources[:3]:
            print("  " + source_line(source.n, source.hit))
    else:
        print()
        print_answer_sources(done, retrieved.sources)
    if done.status in ("stopped", "interrupted"):
        print(f"\n({done.status}{': ' + done.error if done.error else ''})", file=sys.stderr)
    if saved is not None:
        print(f"\n(saved; rate it with 'archivist-cli feedback up|down {saved.id[:8]}')", file=sys.stderr)
    return 1 if done.status == "interrupted" else 0  # the engine failed mid-answer: an error


def _save(archivist, question: str, retrieved, done):
    """Keep the exchange as a one-question conversation, so it can be found, exported and rated."""
    from core import layout
    from core.conversations import ConversationStore
    from core.history import save_answer

    store = ConversationStore(layout.conversations_path(archivist.data_dir))
    try:
        conversation = store.create()
        store.add_message(conversation.id, "user", question)
        store.auto_title(conversation.id)
        return save_answer(store, conversation.id, retrieved, done)
    finally:
        store.close()
