"""archivist-cli conversations / feedback: browse, rename, delete and export saved answers; rate them.

Ids may be shortened to any unique prefix, as printed by 'conversations' and after each answer.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

RATINGS = {"up": 1, "down": -1, "clear": 0}


def add_parsers(sub, common) -> None:
    p = sub.add_parser("conversations", parents=[common],
                       help="saved questions and answers: list, show, rename, delete, export, import")
    p.add_argument("action", nargs="?", default="list",
                   choices=["list", "show", "rename", "delete", "export", "import"])
    p.add_argument("id", nargs="?", help="conversation id (a unique prefix is enough); with import: a JSON file")
    p.add_argument("title", nargs="?", help="with rename: the new title")
    p.add_argument("--format", choices=["markdown", "json"], default="markdown", help="export format")
    p.add_argument("-o", "--output", type=Path, help="write the export to this file instead of the screen")

    p = sub.add_parser("feedback", parents=[common],
                       help="rate an answer (up/down, an ideal answer), list ratings, export training pairs")
    p.add_argument("action", choices=["up", "down", "clear", "ideal", "list", "export"])
    p.add_argument("target", nargs="?",
                   help="the answer's message id (a unique prefix is enough); with export: the JSONL file")
    p.add_argument("text", nargs="?", help="with ideal: the answer it should have given ('-' reads stdin)")
    p.add_argument("--all", action="store_true",
                   help="export every rated answer for inspection, not only training pairs")
    p.add_argument("--layout", choices=["messages", "prompt-completion"], default="messages",
                   help="training pairs as chat messages (default) or TRL prompt/completion")


@contextmanager
def _stores(archivist):
    from core import layout
    from core.conversations import ConversationStore
    from core.feedback import FeedbackLog

    conversations = ConversationStore(layout.conversations_path(archivist.data_dir))
    feedback = FeedbackLog(layout.feedback_path(archivist.data_dir))
    try:
        yield conversations, feedback
    finally:
        conversations.close()
        feedback.close()


def _fail(message: str, code: int = 1) -> int:
    print(f"archivist-cli: {message}", file=sys.stderr)
    return code


def cmd_conversations(archivist, args, reporter) -> int:
    with _stores(archivist) as (store, feedback):
        if args.action == "list":
            return _list(store, args.json)
        if args.action == "import":
            if not args.id:
                return _fail("say which file to import, e.g. 'conversations import chat.json'", 2)
            try:
                conversation = store.import_json(json.loads(Path(args.id).read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError) as exc:
                return _fail(f"cannot import {args.id}: {exc}")
            print(json.dumps({"imported": conversation.id}) if args.json else f"imported as {conversation.id[:8]}")
            return 0
        if not args.id:
            return _fail(f"say which conversation, e.g. 'conversations {args.action} 3f2a'", 2)
        try:
            conv_id = store.find(args.id)
        except KeyError as exc:
            return _fail(f"{exc.args[0]}; see 'archivist-cli conversations'")
        if args.action == "show":
            return _write(store.export_json(conv_id) if args.json else store.export_markdown(conv_id), None)
        if args.action == "rename":
            if not args.title:
                return _fail("say the new title, e.g. 'conversations rename 3f2a \"Refund rules\"'", 2)
            store.rename(conv_id, args.title)
        elif args.action == "delete":
            store.delete(conv_id)
            feedback.delete_conversation(conv_id)  # the ratings quote the same text
        else:
            data = store.export_json(conv_id) if args.format == "json" else store.export_markdown(conv_id)
            return _write(data, args.output)
    if not args.json:
        print(f"{'renamed' if args.action == 'rename' else 'deleted'} {conv_id[:8]}")
    return 0


def _list(store, json_mode: bool) -> int:
    rows = store.list()
    if json_mode:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return 0
    if not rows:
        print("no conversations yet: 'archivist-cli ask' and 'archivist-cli chat' save them")
    for r in rows:
        when = datetime.fromtimestamp(r.updated_at).strftime("%Y-%m-%d %H:%M")
        print(f"{r.id[:8]}  {when}  {r.message_count:3} messages  {r.title or '(untitled)'}")
    return 0


def _write(data, output: Path | None) -> int:
    text = data if isinstance(data, str) else json.dumps(data, indent=2)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write {output}: {exc}")
    print(f"wrote {output}", file=sys.stderr)
    return 0


def cmd_feedback(archivist, args, reporter) -> int:
    from core.history import NotRateable, rate_answer

    with _stores(archivist) as (store, log):
        if args.action == "list":
            return _list_feedback(log, args.json)
        if args.action == "export":
            if not args.target:
                return _fail("say where to write, e.g. 'feedback export pairs.jsonl'", 2)
            counts = log.export_training_jsonl(Path(args.target), include="all" if args.all else "approved",
                                              layout=args.layout)
            print(json.dumps(asdict(counts)) if args.json else f"{args.target}: {counts}")
            return 0
        if not args.target:
            return _fail(f"say which answer, e.g. 'feedback {args.action} 3f2a' (ids are printed after answers)", 2)
        ideal = None
        if args.action == "ideal":
            ideal = sys.stdin.read() if args.text in (None, "-") else args.text
            if not ideal.strip():
                return _fail("the ideal answer is empty", 2)
        try:
            message_id = store.find(args.target, messages=True)
            existing = log.get(message_id)
            rating = RATINGS.get(args.action, existing.rating if existing else 0)
            feedback = rate_answer(store, log, message_id, rating, ideal)
        except KeyError as exc:
            return _fail(f"{exc.args[0]}; see 'archivist-cli conversations show ID'")
        except NotRateable as exc:
            return _fail(str(exc))
    if args.json:
        print(json.dumps(asdict(feedback), indent=2))
    else:
        mood = {1: "thumbs up", -1: "thumbs down", 0: "no rating"}[feedback.rating]
        print(f"{message_id[:8]}: {mood}" + ("; ideal answer saved" if feedback.ideal_answer else ""))
    return 0


def _list_feedback(log, json_mode: bool) -> int:
    rows = log.list()
    if json_mode:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return 0
    for r in rows:
        mood = {1: "+1", -1: "-1", 0: " 0"}[r.rating]
        ideal = "  ideal answer given" if r.ideal_answer else ""
        print(f"{r.message_id[:8]}  {mood}  {r.question[:70]}{ideal}")
    if not rows:
        print("no ratings yet: 'archivist-cli feedback up|down ID' after an answer")
    return 0
