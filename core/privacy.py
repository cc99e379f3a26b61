"""Nothing leaves this computer: the switches that keep Archivist's libraries from phoning home.

Imported before anything else by every program (core/__init__.py, both entry points, the frozen
bundle's runtime hook), so the environment is set before any library reads it; the processes
Archivist starts (parser workers, the built-in engine) inherit it. What each switch is for, and what
was checked, is in README.md (Privacy); tests/test_privacy.py proves it.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

SWITCHES = {
    # ONNX Runtime >= 1.29 (PyPI builds, Linux and macOS) sends usage telemetry to
    # mobile.events.data.microsoft.com and keeps a device id, an event cache and a session file
    # (~/.cache/Microsoft/DeveloperTools/.onnxruntime/, $TMPDIR/.ses), all from `import onnxruntime`
    # on. It runs in the app (embeddings) and in every parser worker (pymupdf >= 2 loads a layout
    # model with it). This variable, read at import, stops all of it.
    "ORT_DISABLE_TELEMETRY": "1",
    # fastembed imports huggingface_hub; the models come from packages, never from the Hub.
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # The common opt-out (https://donottrack.sh), for any library that honours only that.
    "DO_NOT_TRACK": "1",
}
# A proxy set for the whole desktop (HTTP_PROXY, ALL_PROXY) would otherwise carry requests to a
# local Ollama, questions and passages included, to the proxy: httpx sends loopback through it too.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def apply(environ: MutableMapping[str, str] = os.environ) -> None:
    environ.update(SWITCHES)
    listed = [h.strip() for name in ("no_proxy", "NO_PROXY") for h in environ.get(name, "").split(",")]
    hosts = list(dict.fromkeys(h for h in listed if h))
    if "*" not in hosts:
        hosts += [h for h in LOCAL_HOSTS if h not in hosts]
    environ["no_proxy"] = environ["NO_PROXY"] = ",".join(hosts)


def quiet_onnxruntime() -> None:
    """ONNX Runtime's own switch, once it is loaded: a second layer only. Measured with 1.32, it
    neither stops the upload nor the files (ORT_DISABLE_TELEMETRY above does)."""
    import onnxruntime

    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if disable is not None:
        disable()


apply()
