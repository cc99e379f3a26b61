"""python -m tests.ollama_standin --host 127.0.0.1 --port N --models-dir DIR [--registry-dir DIR]"""
from __future__ import annotations

import argparse
import os
import socket

import uvicorn

from .app import create_app


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="ollama_standin",
                                 description="Ollama HTTP API stand-in on llama.cpp (test fixture)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=11434, help="0 picks a free port")
    ap.add_argument("--models-dir", required=True)
    ap.add_argument("--registry-dir", default=None, help="dir with registry.json for /api/pull")
    ap.add_argument("--num-ctx", type=int, default=None, help="default context (8192)")
    ap.add_argument("--no-seed", action="store_true", help="do not pre-seed smollm2:135m")
    ap.add_argument("--port-file", default=None, help="write the bound port here when ready")
    a = ap.parse_args(argv)

    app = create_app(a.models_dir, a.registry_dir, seed=not a.no_seed, num_ctx=a.num_ctx)
    # Bind first so that --port 0 works and the parent learns the real port.
    sock = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((a.host, a.port))
    sock.listen(128)
    port = sock.getsockname()[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, a.port_file)
    print(f"ollama stand-in listening on http://{a.host}:{port}", flush=True)
    config = uvicorn.Config(app, log_level=os.environ.get("STANDIN_LOG_LEVEL", "warning"),
                            timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
