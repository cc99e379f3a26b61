"""/api/pull and /api/create: Ollama's status sequences over the local store.

Pull reads a local "registry" directory holding registry.json:
{"name:tag": {"gguf": path, "adapter"?: path, "system"?: str, "template"?: str,
"parameters"?: {...}}}, paths relative to that directory; nothing ever
touches the network. Statuses follow images.go PullModel, download.go and
create.go; errors after the first status arrive as an {"error"} line.
"""
from __future__ import annotations

import json
import os

from starlette.requests import Request

from . import gguf
from .app_models import _body, _stream
from .engine import StandinError
from .store import (CHATML, CHATML_PARAMS, DIGEST_RE, MEDIA_ADAPTER, MEDIA_LICENSE,
                    MEDIA_MESSAGES, MEDIA_MODEL, MEDIA_PARAMS, MEDIA_SYSTEM,
                    MEDIA_TEMPLATE, InvalidName, Name, Store, sha256_file)
from .streaming import respond

CHUNK = 8 << 20
NO_MANIFEST = "pull model manifest: file does not exist"


# -- pull ----------------------------------------------------------------------
def _registry_entry(registry: str | None, name: Name) -> dict | None:
    if not registry:
        return None
    try:
        with open(os.path.join(registry, "registry.json")) as f:
            index = json.load(f)
    except (OSError, ValueError):
        return None
    for key, entry in index.items():
        try:
            if Name.parse(key) == name:
                return entry
        except InvalidName:
            continue
    return None


def _copy_blob(store: Store, src: str, digest: str, cancel):
    """Copy a file into blobs/ with Ollama's per-layer progress lines."""
    total = os.path.getsize(src)
    status = {"status": f"pulling {digest[7:19]}", "digest": digest, "total": total}
    dest = store.blob_path(digest)
    if os.path.exists(dest):
        yield {**status, "completed": total}
        return True
    yield status  # Ollama's first line for a layer has no "completed"
    tmp, done = dest + ".partial", 0
    with open(src, "rb") as fi, open(tmp, "wb") as fo:
        for chunk in iter(lambda: fi.read(CHUNK), b""):
            if cancel.is_set():
                fo.close()
                os.remove(tmp)
                raise StandinError("context canceled", 499)
            fo.write(chunk)
            done += len(chunk)
            yield {**status, "completed": done}
    os.replace(tmp, dest)
    return False


def pull_steps(store: Store, registry: str | None, name: Name, cancel):
    """images.go PullModel: manifest, layers, verify, write manifest, success."""
    yield {"status": "pulling manifest"}
    entry = _registry_entry(registry, name)
    if entry is None:
        raise StandinError(NO_MANIFEST, 500)
    base = os.path.abspath(registry)
    files = [(MEDIA_MODEL, os.path.join(base, entry["gguf"]))]
    if entry.get("adapter"):
        files.append((MEDIA_ADAPTER, os.path.join(base, entry["adapter"])))
    texts = [(MEDIA_TEMPLATE, entry.get("template", CHATML))]
    if entry.get("system"):
        texts.append((MEDIA_SYSTEM, entry["system"]))
    texts.append((MEDIA_PARAMS, json.dumps({**CHATML_PARAMS, **entry.get("parameters", {})})))
    layers, cached = [], {}
    for media, path in files:
        digest = store.external_digest(path)
        cached[digest] = yield from _copy_blob(store, path, digest, cancel)
        layers.append({"mediaType": media, "digest": digest, "size": os.path.getsize(path)})
    for media, text in texts:
        layer, created = store.text_layer(media, text)
        cached[layer["digest"]] = not created
        yield {"status": f"pulling {layer['digest'][7:19]}", "digest": layer["digest"],
               "total": layer["size"], "completed": layer["size"]}
        layers.append(layer)
    config = store.config_layer(layers)
    yield {"status": f"pulling {config['digest'][7:19]}", "digest": config["digest"],
           "total": config["size"], "completed": config["size"]}
    yield {"status": "verifying sha256 digest"}
    for layer in layers:
        if not cached[layer["digest"]]:
            if sha256_file(store.blob_path(layer["digest"])) != layer["digest"]:
                os.remove(store.blob_path(layer["digest"]))
                raise StandinError("digest mismatch, file must be downloaded again", 500)
    yield {"status": "writing manifest"}
    store.write(name, layers)
    yield {"status": "success"}


async def pull(request: Request):
    st = request.app.state
    req = await _body(request)
    raw = req.get("model") or req.get("name") or ""
    try:
        name = Name.parse(raw)
    except InvalidName:
        raise StandinError("invalid model name", 400) from None
    work = lambda cancel: pull_steps(st.store, st.registry, name, cancel)
    return await respond(request, work, _stream(req))


# -- create ---------------------------------------------------------------------
def _valid_rel(path: str) -> bool:
    # Go's fs.ValidPath: relative, slash-separated, no "." or ".." elements
    return bool(path) and not path.startswith("/") and all(
        p not in ("", ".", "..") for p in path.split("/"))


def _gguf_blob(store: Store, digest: str) -> str:
    path = store.blob_path(digest)  # ValueError -> invalid digest format
    if not os.path.exists(path):
        raise StandinError(f"open {path}: no such file or directory", 500)
    if not gguf.is_gguf(path):
        raise StandinError("supplied file was not in GGUF format", 400)
    return path


def _blob_is_gguf(store: Store, digest: str) -> bool:
    """create.go detectModelTypeFromFiles: no known extension, sniff the blob."""
    try:
        return gguf.is_gguf(store.blob_path(digest))
    except (OSError, ValueError):
        return False


def create_steps(store: Store, registry, name: Name, req: dict, cancel):
    layers: list[tuple[dict, str]] = []  # (layer, status), statuses sent at the end
    if req.get("from"):
        try:
            src_name = Name.parse(req["from"])
        except InvalidName:
            raise StandinError("invalid model name", 400) from None
        src = store.get(req["from"])
        if src is None:  # Ollama pulls a missing base; here from the local registry
            yield from pull_steps(store, registry, src_name, cancel)
            src = store.get(req["from"])
        layers = [(l, f"using existing layer {l['digest']}") for l in src["layers"]]
    elif req.get("files"):
        for fname in sorted(req["files"]):
            if fname.endswith(".safetensors"):
                raise StandinError("stand-in: safetensors import is not supported", 400)
            if not fname.endswith(".gguf") and not _blob_is_gguf(store, req["files"][fname]):
                raise StandinError("unknown type", 400)
            yield {"status": "parsing GGUF"}
            path = _gguf_blob(store, req["files"][fname])
            d = store.describe(path)
            media = MEDIA_ADAPTER if d["kind"] == "adapter" else MEDIA_MODEL
            layer = {"mediaType": media, "digest": req["files"][fname].replace("-", ":", 1),
                     "size": os.path.getsize(path)}
            layers.append((layer, f"using existing layer {layer['digest']}"))
            if media == MEDIA_MODEL and "<|im_start|>" in d["chat_template"]:
                t, _ = store.text_layer(MEDIA_TEMPLATE, CHATML)
                layers.append((t, "using autodetected template chatml"))
                p, created = store.text_layer(MEDIA_PARAMS, json.dumps(CHATML_PARAMS))
                layers.append((p, f"{'creating new' if created else 'using existing'} layer {p['digest']}"))
    else:
        raise StandinError("neither 'from' or 'files' was specified", 400)

    adapters = req.get("adapters") or {}
    if len(adapters) > 1:
        raise StandinError("only one adapter is currently supported", 400)
    for fname, digest in adapters.items():
        if fname.endswith(".safetensors"):
            raise StandinError("stand-in: safetensors adapters are not supported; "
                               "convert to a GGUF LoRA first", 400)
        if not fname.endswith(".gguf") and not _blob_is_gguf(store, digest):
            raise StandinError("unknown type", 400)
        yield {"status": "parsing GGUF"}
        path = _gguf_blob(store, digest)
        if store.describe(path)["kind"] != "adapter":
            # Ollama would file it as a second model layer; refuse instead.
            raise StandinError("stand-in: adapter GGUF must have general.type=adapter", 400)
        # Appended to the `from` model's layers, its adapters included (create.go: baseLayers =
        # append(baseLayers, adapterLayers...)): a style made from a styled model carries both.
        layer = {"mediaType": MEDIA_ADAPTER, "digest": digest.replace("-", ":", 1),
                 "size": os.path.getsize(path)}
        layers.append((layer, f"using existing layer {layer['digest']}"))

    def replace(media: str, text: str | None):
        nonlocal layers
        layers = [x for x in layers if x[0]["mediaType"] != media]
        if text:
            layer, created = store.text_layer(media, text)
            layers.append((layer, f"{'creating new' if created else 'using existing'} layer {layer['digest']}"))

    if req.get("template"):
        replace(MEDIA_TEMPLATE, req["template"])
    if req.get("system"):
        replace(MEDIA_SYSTEM, req["system"])
    lic = req.get("license")
    for text in ([lic] if isinstance(lic, str) else lic or []):
        if text:
            layer, created = store.text_layer(MEDIA_LICENSE, text)
            layers.append((layer, f"{'creating new' if created else 'using existing'} layer {layer['digest']}"))
    old = next((store.layer_text(l) for l, _ in layers if l["mediaType"] == MEDIA_PARAMS), "{}")
    params = {**json.loads(old), **(req.get("parameters") or {})}
    if params:
        replace(MEDIA_PARAMS, json.dumps(params))
    if req.get("messages"):
        replace(MEDIA_MESSAGES, json.dumps(req["messages"]))
    if not any(l["mediaType"] == MEDIA_MODEL for l, _ in layers):
        raise StandinError("no base model was found", 500)
    for _layer, status in layers:
        yield {"status": status}
    yield {"status": "writing manifest"}
    store.write(name, [l for l, _ in layers])
    yield {"status": "success"}


async def create(request: Request):
    st = request.app.state
    req = await _body(request)
    for group in ("files", "adapters"):
        for fname, digest in (req.get(group) or {}).items():
            if group == "files" and not _valid_rel(fname):
                raise StandinError("file path must be relative", 400)
            if not digest or not DIGEST_RE.match(digest):
                raise StandinError("invalid digest format", 400)
    try:
        name = Name.parse(req.get("model") or req.get("name") or "")
    except InvalidName:
        raise StandinError("invalid model name", 400) from None
    if req.get("quantize"):
        raise StandinError("quantization is only supported for F16, BF16 and F32 models", 400)
    work = lambda cancel: create_steps(st.store, st.registry, name, req, cancel)
    return await respond(request, work, _stream(req))
