"""archivist-cli chat: an interactive session with memory; each exchange is saved as a conversation."""

from __future__ import annotations

import sys
import threading

from core.cli_ask import add_engine_arguments, engine_from_args
from core.locator import place


def add_parser(sub, common) -> None:
    p = sub.add_parser("chat", parents=[common],
                       help="ask questions one after another; follow-ups understand what came before")
    add_engine_arguments(p)


def cmd_chat(archivist, args, reporter) -> int:
    from core import layout
    from core.answer.pipeline import Answered, Retrieved, Token, ask
    from core.cli_evidence import chat_evidence_lines
    from core.conversations import ConversationStore
    from core.history import save_answer
    from core.llm.base import ChatMessage, EngineError

    engine = engine_from_args(args, archivist.data_dir)
    if engine is None:
        return 1
    store = ConversationStore(layout.conversations_path(archivist.data_dir))
    conversation = store.create()
    history: list[ChatMessage] = []
    interactive = sys.stdin.isatty()
    print(f"({engine.describe()}; an empty line or Ctrl-D ends the chat)", file=sys.stderr)
    try:
        while True:
            if interactive:
                print("\nyou> ", end="", flush=True)
            line = sys.stdin.readline()
            question = line.strip()
            if not question:
                break
            store.add_message(conversation.id, "user", question)
            if len(history) == 0:
                store.auto_title(conversation.id)
            retrieved = done = None
            print("archivist> ", end="", flush=True)
            for event in ask(archivist, engine, question, history, strict=not args.no_strict,
                             cancel=threading.Event()):
                if isinstance(event, Retrieved):
                    retrieved = event
                elif isinstance(event, Token):
                    print(event.text, end="", flush=True)
                elif isinstance(event, Answered):
                    done = event
            if done.status == "refused":
                print(done.text, end="")
            pages = ", ".join(f"[{c.n}] {c.path}" + (f" {place(c.kind, c.page)}" if c.page else "") for c in done.citations)
            print(f"\n  sources: {pages}" if pages else "")
            for line in chat_evidence_lines(done):
                print(line)
            saved = save_answer(store, conversation.id, retrieved, done)
            if interactive:
                print(f"  (rate it: archivist-cli feedback up|down {saved.id[:8]})", file=sys.stderr)
            history += [ChatMessage("user", question), ChatMessage("assistant", done.text)]
    except EngineError as exc:
        print(f"\narchivist-cli: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"(saved as conversation {conversation.id})", file=sys.stderr)
    return 0
