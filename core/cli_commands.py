"""archivist-cli: index folders of documents and find passages in them, from a terminal.

The parser and every command. core/cli.py, the entry point, first offers the commands in SERVED to a
running Archivist and comes here for the rest.
"""

from __future__ import annotations

import core.privacy  # noqa: F401  first: no library may phone home (see core/privacy.py)
import argparse
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from core import cli_ask, cli_chat, cli_history, cli_models, cli_style, cli_summarize, events as ev
from core.config import Settings
from core.data_location import DATA_DIR_ENV, default_data_dir

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BUSY, EXIT_NO_RESULTS, EXIT_SOME_FAILED = 0, 1, 2, 3, 4, 5
WITHOUT_INDEX = {"models"}  # commands given None for the Archivist
ASKS = {"search", "ask", "chat"}  # commands that embed a question at once

EPILOG = f"""\
getting started:
  archivist-cli add ~/Documents          watch a folder and index it now
  archivist-cli search "refund policy"   find passages (file, page, heading)
  archivist-cli ask "What is the refund window?"   a cited answer (Ollama, or the built-in model)
  archivist-cli summarize report.pdf     read a whole file and summarize it (several: compare)
  archivist-cli conversations            saved answers: show, rename, delete, export; 'feedback' rates them
  archivist-cli status                   what is indexed, and why some files are not
  archivist-cli watch                    keep the index in step with every edit, live
  archivist-cli model                    which embedding model is in use, and others

Everything stays on this computer. The index lives in the data folder
(--data-dir, or ${DATA_DIR_ENV}); your folders are only ever read.

exit codes:
  0 ok   1 error   2 bad command line   3 index busy (another Archivist is writing it)
  4 search found nothing   5 sync finished but some files failed (see 'status --failed')
"""


def build_parser(parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> argparse.ArgumentParser:
    common = parser_class(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help=f"where the index is kept (default: ${DATA_DIR_ENV} or the platform data folder)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print machine-readable JSON instead of text")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log what happens, to stderr")
    parser = parser_class(
        prog="archivist-cli", parents=[common], epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Index folders of documents on this computer and find the passages that answer a question.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("add", parents=[common], help="watch folders or files and index them now")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--no-sync", action="store_true", help="only remember the folders; index later")

    p = sub.add_parser("remove", parents=[common], help="stop watching folders/files and forget their passages")
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = sub.add_parser("sync", parents=[common], help="bring the index in step with disk once, with progress")
    p.add_argument("--retry", action="store_true", help="also retry files that failed or needed OCR")

    p = sub.add_parser("watch", parents=[common], help="sync now, then keep syncing every change until Ctrl-C")
    p.add_argument("--poll", action="store_true", help="poll for changes (network shares) instead of OS events")

    p = sub.add_parser("search", parents=[common], help="find the passages that best match a query")
    p.add_argument("query")
    p.add_argument("-k", "--limit", type=int, default=8, help="how many passages (default 8)")
    cli_ask.add_filter_arguments(p)
    p.add_argument("--per-file", type=int, default=3, help="at most this many passages per file (default 3)")

    p = sub.add_parser("status", parents=[common], help="sources, counts, and files that could not be indexed")
    p.add_argument("--failed", action="store_true", help="list every file that was not indexed, with the reason")

    p = sub.add_parser("model", parents=[common],
                       help="show the embedding model, or index everything again with another one")
    p.add_argument("name", nargs="?", help="switch to this model (the current index answers until it is done)")

    cli_ask.add_parser(sub, common)
    cli_models.add_parser(sub, common)
    cli_chat.add_parser(sub, common)
    cli_summarize.add_parser(sub, common)
    cli_history.add_parsers(sub, common)
    cli_style.add_parser(sub, common)

    p = sub.add_parser("files", parents=[common], help="every known file with its status")
    p.add_argument("--status", choices=["indexed", "pending", "skipped", "failed", "needs_ocr"])
    return parser


def main(argv: list[str]) -> int:
    """Run one command line (core/cli.py has prepared the process for it)."""
    args = build_parser().parse_args(argv)
    args.json = getattr(args, "json", False)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if args.command in WITHOUT_INDEX:  # importing and opening the index would only cost seconds
        return COMMANDS[args.command](None, args, None)
    data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else default_data_dir()
    settings = Settings.load(data_dir)
    embedder = _load_embedder_meanwhile(settings) if args.command in ASKS else None
    from core.api import Archivist, IndexBusy, SourceError
    from core.embedding import ModelUnavailable

    read_only = args.command in ("search", "status", "files", "ask", "models", "chat", "summarize",
                                 "conversations", "feedback", "style") or (args.command == "model" and not args.name)
    try:
        reporter = Reporter(args.json)
        with Archivist(settings, on_event=reporter.on_event, read_only=read_only,
                       embedder=embedder() if embedder else None) as archivist:
            return COMMANDS[args.command](archivist, args, reporter)
    except IndexBusy as exc:
        print(f"archivist-cli: {exc}; try again when it has finished", file=sys.stderr)
        return EXIT_BUSY
    except (SourceError, ModelUnavailable) as exc:
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except (OSError, sqlite3.Error) as exc:  # e.g. the disk holding the index is full
        print(f"archivist-cli: cannot update the index in {settings.data_dir}: {exc}. "
              "Nothing already indexed was lost; free some space and run the command again.", file=sys.stderr)
        return EXIT_ERROR


def _load_embedder_meanwhile(settings: Settings):
    """Start loading the embedding model while LanceDB is imported (~1 s): ONNX Runtime builds its
    session without holding the GIL, so the two overlap on a second core. Returns a function giving
    the loaded Embedder, or None when loading failed (the Archivist then loads it and says why)."""
    from core import layout

    outcome: dict = {}

    def load() -> None:
        try:
            from core.embedding import Embedder

            model = layout.active_model(settings.data_dir, settings.embedding_model)
            embedder = Embedder(model, layout.models_dir(settings.data_dir), batch_size=settings.embed_batch_size)
            embedder.load()
            outcome["embedder"] = embedder
        except Exception as exc:  # noqa: BLE001  (reported again, with context, by the Archivist)
            logging.getLogger(__name__).info("could not load the embedding model ahead: %s", exc)

    thread = threading.Thread(target=load, name="load-embedder", daemon=True)
    thread.start()

    def loaded():
        thread.join()
        return outcome.get("embedder")

    return loaded


class Reporter:
    """Turns core events into a progress bar (text mode) or nothing (JSON mode prints a summary)."""

    def __init__(self, json_mode: bool):
        self.json_mode = json_mode
        self.bar = None

    def on_event(self, event: ev.Event) -> None:
        if self.json_mode:
            return
        if isinstance(event, ev.SyncStarted) and event.files:
            from tqdm import tqdm

            self.bar = tqdm(total=event.bytes, unit="B", unit_scale=True, desc="indexing",
                            file=sys.stderr, dynamic_ncols=True, leave=True)
        elif isinstance(event, ev.SyncProgress) and self.bar is not None:
            self.bar.update(event.bytes_done - self.bar.n)
            self.bar.set_postfix_str(f"{event.files_done}/{event.files_total} files, {event.chunks} passages")
        elif isinstance(event, ev.FileProgress) and self.bar is not None:
            self.bar.set_postfix_str(f"{os.path.basename(event.path)}: {event.describe()}")
        elif isinstance(event, ev.SyncFinished) and self.bar is not None:
            self.bar.close()
            self.bar = None
        elif isinstance(event, ev.FileDone) and event.status in ("failed", "needs_ocr"):
            self.write(f"  {event.status}: {event.path} — {event.reason}")
        elif isinstance(event, ev.SourceUnavailable):
            self.write(f"  unavailable: {event.path} — {event.reason}")
        elif isinstance(event, ev.WatchMode) and event.mode == "polling":
            self.write(f"  polling {event.path}: {event.reason}")

    def write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)


def _print_json(value, out=None) -> None:
    print(json.dumps(value, indent=2, default=str), file=out)


def _sync(archivist, args, reporter: Reporter, retry: bool = False) -> int:
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        result = archivist.sync(cancel=cancel, retry=retry)
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        _print_json(asdict(result))
    else:
        verb = "stopped" if result.cancelled else "done"
        print(f"{verb}: {result.files_done} files read, {result.chunks_written} passages written "
              f"({result.embedded} embedded, the rest reused), {result.removed} removed, "
              f"{result.failed} failed, in {result.seconds:.1f} s")
    return EXIT_SOME_FAILED if result.failed else EXIT_OK


def cmd_add(archivist, args, reporter) -> int:
    for path in args.paths:
        source = archivist.add_source(path)
        if not args.json:
            print(f"watching {source}")
    return EXIT_OK if args.no_sync else _sync(archivist, args, reporter)


def cmd_remove(archivist, args, reporter) -> int:
    code = EXIT_OK
    for path in args.paths:
        if archivist.remove_source(path):
            if not args.json:
                print(f"removed {os.path.abspath(path)} (its files are untouched)")
        else:
            print(f"archivist-cli: {path} is not a source; see 'archivist-cli status'", file=sys.stderr)
            code = EXIT_ERROR
    return code


def cmd_sync(archivist, args, reporter) -> int:
    return _sync(archivist, args, reporter, retry=args.retry)


def cmd_watch(archivist, args, reporter) -> int:
    if not archivist.sources():
        print("archivist-cli: nothing to watch yet; add a folder with 'archivist-cli add FOLDER'", file=sys.stderr)
        return EXIT_ERROR
    from core.ipc.server import InstanceServer

    server = InstanceServer(archivist, "archivist-cli watch")  # other CLI commands ask this process
    server.start()
    try:
        _sync(archivist, args, reporter)
        live = _LiveReporter(reporter, args.json)
        archivist.on_event = live.on_event
        archivist.start_watching(poll=args.poll)
        print(f"watching {len(archivist.sources())} source(s); Ctrl-C to stop", file=sys.stderr)
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait()
        archivist.stop_watching()
    finally:
        server.close()
    return EXIT_OK


class _LiveReporter:
    def __init__(self, reporter: Reporter, json_mode: bool):
        self.reporter, self.json_mode = reporter, json_mode

    def on_event(self, event: ev.Event) -> None:
        if self.json_mode:
            if isinstance(event, (ev.FileDone, ev.FileRemoved, ev.SourceUnavailable, ev.WatchMode)):
                print(json.dumps({"event": type(event).__name__, **asdict(event)}), flush=True)
        elif isinstance(event, ev.FileDone):
            detail = f" — {event.reason}" if event.reason else ""
            print(f"{event.status}: {event.path} ({event.chunks} passages){detail}", flush=True)
        elif isinstance(event, ev.FileRemoved):
            print(f"removed: {event.path}", flush=True)
        else:
            self.reporter.on_event(event)


def cmd_search(archivist, args, reporter, out=None) -> int:
    from core.cli_evidence import snippet, source_line
    from core.match_strength import describe_match
    result = archivist.search(args.query, k=args.limit, filters=cli_ask.filters_from_args(args),
                              per_file=args.per_file)
    if args.json:
        _print_json({"query": result.query, "trace": result.trace,
                     "hits": [asdict(h) | {"found_by": h.found_by, "match": describe_match(h)} for h in result.hits]},
                    out)
    else:
        if not result.hits:
            print("no passages found" + ("" if archivist.status().chunks else " (the index is empty: add a folder)"),
                  file=out)
        for n, hit in enumerate(result.hits, 1):
            print(source_line(n, hit), file=out)
            for line in snippet(hit):
                print(f"    {line}", file=out)
    return EXIT_OK if result.hits else EXIT_NO_RESULTS


def cmd_status(archivist, args, reporter, out=None) -> int:
    status = archivist.status()
    problems = [r for r in archivist.files() if r.status in ("failed", "needs_ocr", "skipped", "pending")]
    if args.json:
        _print_json(asdict(status) | {"not_indexed": [_record_json(r) for r in problems]}, out)
        return EXIT_OK
    lines = [f"data folder: {status.data_dir}",
             f"embedding model: {status.model} ({status.dim} dimensions); {status.chunks} passages indexed"]
    if archivist.pending_model:
        lines.append(f"  {archivist.pending_model} was chosen but its index is not built: "
                     f"run 'archivist-cli model {archivist.pending_model}'")
    for source in status.sources:
        state = "" if source["available"] else "  [unavailable]"
        lines.append(f"source: {source['path']} ({source['files']} files){state}")
    lines.append("files: " + (", ".join(f"{n} {s}" for s, n in sorted(status.counts.items())) or "none yet"))
    shown = problems if args.failed else [r for r in problems if r.status in ("failed", "needs_ocr")][:20]
    lines += [f"  {record.status}: {record.path} — {record.reason}" for record in shown]
    if not args.failed and len(problems) > len(shown):
        lines.append("  … see all with 'archivist-cli status --failed'")
    print("\n".join(lines), file=out)
    return EXIT_OK


def cmd_model(archivist, args, reporter) -> int:
    from core.embedding import MODELS

    if not args.name:
        if args.json:
            _print_json({"current": archivist.embedder.name, "pending": archivist.pending_model,
                         "available": sorted(MODELS)})
            return EXIT_OK
        print(f"current: {archivist.embedder.name} ({archivist.embedder.dim} dimensions)")
        if archivist.pending_model:
            print(f"chosen but not built yet: {archivist.pending_model} "
                  f"(run 'archivist-cli model {archivist.pending_model}')")
        print("available: " + ", ".join(sorted(MODELS)))
        return EXIT_OK
    if args.name not in MODELS:
        print(f"archivist-cli: unknown model '{args.name}'; available: {', '.join(sorted(MODELS))}", file=sys.stderr)
        return EXIT_USAGE
    files = len(archivist.files())
    if not args.json:
        print(f"indexing {files} files again with {args.name}; searches keep using "
              f"{archivist.embedder.name} until it is done (Ctrl-C stops; running this again resumes)")
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        switched = archivist.switch_model(args.name, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        _print_json({"switched": switched, "current": archivist.embedder.name})
    else:
        print(f"now using {args.name}" if switched else f"stopped; still using {archivist.embedder.name}")
    return EXIT_OK if switched else EXIT_ERROR


def cmd_files(archivist, args, reporter, out=None) -> int:
    records = archivist.files(status=args.status)
    if args.json:
        _print_json([_record_json(r) for r in records], out)
    else:
        for r in records:
            reason = f" — {r.reason}" if r.reason else ""
            print(f"{r.status:9} {r.chunks:6} {r.path}{reason}", file=out)
    return EXIT_OK


def _record_json(record) -> dict:
    return {k: v for k, v in asdict(record).items() if k not in ("attempts", "retry_after")}


COMMANDS = {
    "add": cmd_add, "remove": cmd_remove, "sync": cmd_sync, "watch": cmd_watch,
    "search": cmd_search, "status": cmd_status, "files": cmd_files, "model": cmd_model,
    "ask": cli_ask.cmd_ask, "models": cli_models.cmd_models, "chat": cli_chat.cmd_chat,
    "summarize": cli_summarize.cmd_summarize, "conversations": cli_history.cmd_conversations,
    "feedback": cli_history.cmd_feedback, "style": cli_style.cmd_style,
}

