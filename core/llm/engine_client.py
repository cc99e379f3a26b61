"""The app's side of the built-in engine's process (core/llm/engine_process.py).

Starts the process on first use, exchanges requests over a pipe, and turns a process that dies —
from an illegal instruction, the kernel's out-of-memory killer, an abort — into an EngineError that
says what happened and what to do. The next request starts a fresh process.
"""

from __future__ import annotations

import collections
import logging
import signal
import threading
import time
from typing import Iterator

from core.llm.base import ConnectionLost, EngineError, EngineUnavailable, model_text
from core.parsing.spawn import parser_context

log = logging.getLogger(__name__)

POLL_S = 0.05  # how often a waiting request looks at its cancel flag and at the process
LOAD_TIMEOUT_S = 300.0  # a 1.5 GB model loads in seconds; minutes mean something is wrong
CANCEL_GRACE_S = 30.0  # an engine that ignores Stop this long is killed

_WHAT_HAPPENED = {
    signal.SIGILL: ("the engine used a processor instruction this computer does not have",
                    "Rebuild the engine for this computer (`make install`, which builds it portably) "
                    "or answer through Ollama."),
    signal.SIGKILL: ("it was killed, most often because the computer ran out of memory",
                     "Choose a smaller model, close other programs, or answer through Ollama."),
    signal.SIGABRT: ("llama.cpp gave up (abort)",
                     "The model file may be damaged or unsupported: choose another model or reinstall it."),
    signal.SIGSEGV: ("llama.cpp crashed (memory fault)",
                     "Try again; if it happens again, choose another model or answer through Ollama."),
}


def describe_exit(exitcode: int | None) -> tuple[str, str]:
    """(what happened, what to do) for an engine process that ended unexpectedly."""
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        what, todo = _WHAT_HAPPENED.get(number, (None, None))
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if what:
            return f"{what} ({name})", todo
        return f"it was stopped by {name}", "Try again; if it happens again, answer through Ollama."
    return (f"it exited unexpectedly (exit code {exitcode})",
            "Try again; if it happens again, choose another model or answer through Ollama.")


class EngineDied(EngineError):
    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode
        self.what, self.todo = describe_exit(exitcode)
        super().__init__(f"The built-in engine stopped: {self.what}. {self.todo}")


class EngineProcess:
    """One llama.cpp process with one model loaded. Thread-safe: one exchange on the pipe at a
    time; tokens of a running answer that arrive during another thread's request are kept."""

    def __init__(self, model_path: str, n_ctx: int, threads: int, adapter: tuple[str, float] | None = None):
        """``adapter``: a GGUF LoRA (a house style) and its scale, applied over the model."""
        from core.llm.engine_process import serve

        ctx = parser_context()  # spawn, without re-importing the app's main module
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(child, model_path, n_ctx, threads, adapter),
                                   name="archivist-engine", daemon=True)
        self.process.start()
        child.close()
        self._lock = threading.Lock()
        self._answer: collections.deque = collections.deque()  # answer messages read by others
        self.info: dict = {}
        self.dead = False
        self._await_ready(model_path)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def _await_ready(self, model_path: str) -> None:
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while not self._conn.poll(POLL_S):
            if not self.process.is_alive() or time.monotonic() > deadline:
                self.stop()
                what, todo = describe_exit(self.process.exitcode)
                raise EngineUnavailable(f"The built-in engine could not load {model_path}: {what}. {todo}")
        message = self._recv()
        if message[0] == "ready":
            self.info = message[1]
            return
        self.stop()
        kind, text = message[1], message[2]
        if kind == "missing":
            raise EngineUnavailable(f"The built-in engine needs llama-cpp-python ({text}).")
        raise EngineUnavailable(f"Could not load {model_path} with llama.cpp ({text}). Choose another GGUF file.")

    # -- the pipe ------------------------------------------------------------------------------------
    def _recv(self):
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            self.dead = True
            raise EngineDied(self.process.exitcode) from None

    def _send(self, message) -> None:
        try:
            self._conn.send(message)
        except (OSError, ValueError):  # broken pipe: the process is gone
            self.process.join(5)
            self.dead = True
            raise EngineDied(self.process.exitcode) from None

    def count_tokens(self, text: str) -> int:
        with self._lock:
            self._send(("tokenize", model_text(text)))  # the process would die encoding a lone surrogate
            while True:
                message = self._recv()
                if message[0] == "count":
                    return message[1]
                self._answer.append(message)  # belongs to the answer being streamed

    def generate(self, prompt: str, temperature: float, max_tokens: int | None, stop: list[str],
                 cancel: threading.Event) -> Iterator[str]:
        """Yield the answer's pieces. Cancel (or closing the generator) stops the engine at its next
        batch or token; the process is then ready for the next request."""
        parts: list[str] = []
        with self._lock:
            self._answer.clear()
            self._send(("generate", model_text(prompt), temperature, max_tokens, stop))
        finished = cancelled_at = None
        try:
            while True:
                message = self._next_answer_message(cancel, cancelled_at)
                if message is None:  # cancel was just set: tell the engine, keep reading to its end
                    cancelled_at = time.monotonic()
                    with self._lock:
                        self._send(("cancel",))
                    continue
                if message[0] == "token":
                    if cancelled_at is None:
                        parts.append(message[1])
                        yield message[1]
                    continue
                finished = message
                break
        except EngineDied as died:
            raise ConnectionLost(f"The built-in engine stopped in the middle of the answer: {died.what}. "
                                 f"{died.todo}", "".join(parts)) from None
        finally:
            if finished is None and not self.dead:
                self._finish_abandoned()
        if finished[0] == "error":
            _raise_answer_error(finished, "".join(parts))

    def _next_answer_message(self, cancel: threading.Event, cancelled_at: float | None):
        while True:
            if cancelled_at is None and cancel.is_set():
                return None  # before reading on: tokens already in the pipe are not shown after Stop
            with self._lock:
                if self._answer:
                    return self._answer.popleft()
                if self._conn.poll(POLL_S):
                    message = self._recv()
                    if message[0] != "count":
                        return message
                    continue  # a count nobody waits for any more
            if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                log.warning("the engine ignored Stop for %.0f s: killing it", CANCEL_GRACE_S)
                self.stop()
                raise EngineDied(self.process.exitcode)
            if not self.process.is_alive() and not self._conn.poll():
                self._recv()  # raises EngineDied with the exit code

    def _finish_abandoned(self) -> None:
        """The consumer stopped reading mid-answer: stop the engine and drain to the answer's end, so
        the next request does not read this one's tokens."""
        try:
            with self._lock:
                self._send(("cancel",))
            deadline = time.monotonic() + CANCEL_GRACE_S
            while time.monotonic() < deadline:
                message = self._next_answer_message(threading.Event(), time.monotonic())
                if message is not None and message[0] in ("end", "error"):
                    return
            self.stop()
        except EngineError:
            pass  # it died meanwhile; the next request starts a new one

    def stop(self) -> None:
        """Close the process: politely, then by force."""
        if self.process.is_alive():
            try:
                self._conn.send(("close",))
            except (OSError, ValueError):
                pass
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.dead = True
        self._conn.close()


def _raise_answer_error(message, partial: str):
    kind, detail = message[1], message[2]
    if kind == "too_long":
        raise EngineError(f"The question and its sources need {detail} tokens, more than the built-in "
                          "engine's context. Use fewer sources or a shorter conversation.")
    raise ConnectionLost(f"The built-in engine failed in the middle of the answer: {detail}", partial)
