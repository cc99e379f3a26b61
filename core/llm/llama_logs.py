"""llama.cpp's own messages go to Archivist's log, never to the user's terminal.

llama-cpp-python prints them to stderr as soon as its logger lets them through (its level is unset
until a model is loaded), so `archivist-cli ask` showed "load_backend: loaded CPU backend …" and,
with a house style on a repacked model, a line per layer ("lora … cannot use buft 'CPU_REPACK',
fallback to CPU": a note, not a fault). What goes wrong for real reaches the app as an error from
the call that failed; the messages stay in the log for whoever looks into it.
"""

from __future__ import annotations

import logging

log = logging.getLogger("llama.cpp")

# ggml_log_level: 0 none, 1 info, 2 warn, 3 error, 4 debug, 5 continues the previous message.
_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.INFO, 3: logging.INFO, 4: logging.DEBUG}
_kept: list = []  # the ctypes callback must outlive every call llama.cpp makes to it
_last = [logging.DEBUG]


def route_to_logging() -> None:
    """Install the callback (once per process; after importing llama_cpp, before loading a model)."""
    if _kept:
        return
    import llama_cpp

    @llama_cpp.llama_log_callback
    def forward(level: int, text: bytes, _user_data) -> None:
        if level != 5:
            _last[0] = _LEVELS.get(level, logging.DEBUG)
        message = text.decode("utf-8", "replace").rstrip("\n")
        if message:
            log.log(_last[0], "%s", message)

    _kept.append(forward)
    llama_cpp.llama_log_set(forward, None)
