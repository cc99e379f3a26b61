"""Answers through an Ollama server (local or on the LAN), with the official ``ollama`` client.

The client's traps are handled here: our own ``Client`` with a
finite timeout (the module-level one is created at import and waits forever); server down is a
builtin ``ConnectionError`` for plain calls but a raw ``httpx.ConnectError`` for streams; a failure
after output started is an ``{"error"}`` line (``ResponseError`` with status -1) or an httpx error.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import socket
import threading
from typing import Callable, Iterator

import httpx
import ollama
import pydantic

from core.llm.base import (ChatMessage, ConnectionLost, EngineError, EngineUnavailable, ModelInfo, model_text,
                           ModelMissing, PullProgress)

log = logging.getLogger(__name__)

DEFAULT_HOST = "http://127.0.0.1:11434"
# The window Archivist asks for. Ollama's own default is small (2-4k, scaled by VRAM) and it
# silently drops the start of longer prompts, so we always send num_ctx. 8192 holds ~8 passages
# plus history; the KV cache of a 3B model at 8k is ~1 GB, acceptable on a desktop.
DEFAULT_NUM_CTX = 8192
UNKNOWN_MODEL_CTX = 2048  # when /api/show does not tell the model's trained context
SUGGESTED_MODEL = "llama3.2:3b"  # offered when the server has no model at all
PROBE_TIMEOUT_S = 1.0
# Digits and ASCII punctuation are usually a token each; see count_tokens.
_DIGIT_PUNCT = re.compile(r"[0-9!-/:-@\[-`{-~]")
# A model Archivist created to serve a house style (core/style/ollama_register.py styled_model_name).
_HOUSE_STYLE_MODEL = re.compile(r".+-house-style-v[0-9]+(:latest)?")

try:  # the exact normalisation the client applies ("localhost" -> "http://localhost:11434")
    from ollama._client import _parse_host
except ImportError:  # pragma: no cover - private helper; the pin is ollama>=0.6,<0.7
    def _parse_host(host: str) -> str:
        return host if "://" in host else f"http://{host}"


def not_running_message(host: str) -> str:
    return (f"Ollama is not running at {host}. Start it with `ollama serve` (or open the Ollama "
            "app), or answer with the built-in engine.")


def estimate_tokens(text: str) -> int:
    """A deliberate overestimate (Ollama has no tokenize endpoint): digits and ASCII punctuation
    count 1 each, other ASCII 1/2.3, non-ASCII 0.8 per UTF-8 byte, plus 10%. Measured against
    SmolLM2's English-centric 49k vocabulary (a near worst case) on 20 samples: 1.05-1.3x the true
    count for Polish, Czech, Turkish, Vietnamese, Swahili, German, Finnish, Indonesian, numbers;
    1.4-1.5x Spanish, Chinese, JSON, French; 2x English, code, Russian. Bigger multilingual
    vocabularies only widen the margin. Undercounting is the costly error (Ollama then silently
    drops the start of the prompt, system message included), so English pays for the margin."""
    n_ascii = len(text.encode("ascii", "ignore"))
    non_ascii_bytes = len(text.encode("utf-8", "replace")) - n_ascii
    dp = len(_DIGIT_PUNCT.findall(text))
    return math.ceil(1.1 * (dp + (n_ascii - dp) / 2.3 + 0.8 * non_ascii_bytes))


def is_house_style_model(name: str) -> bool:
    return bool(_HOUSE_STYLE_MODEL.fullmatch(name or ""))


def choose_default_model(models) -> str | None:
    """The model to use when none is chosen: the most recently pulled/created one that is not an
    embedding-only model (name contains "embed" or a BERT-family architecture) nor a house style's
    model (the newest after registering a style; which style answers is the registry's choice, not
    the newest model's); ties by name."""
    def chat_capable(m) -> bool:
        family = ((m.details.family if m.details else None) or "").lower()
        return (bool(m.model) and "embed" not in m.model.lower() and "bert" not in family
                and not is_house_style_model(m.model))

    usable = sorted((m for m in models if chat_capable(m)), key=lambda m: m.model)
    usable.sort(key=lambda m: m.modified_at.timestamp() if m.modified_at else 0.0, reverse=True)
    return usable[0].model if usable else None


def same_model(a: str, b: str) -> bool:
    """"llama3.2" and "llama3.2:latest" are the same model to Ollama."""
    def full(n: str) -> str:
        return n if ":" in n.rsplit("/", 1)[-1] else n + ":latest"
    return bool(a and b) and full(a) == full(b)


class OllamaEngine:
    name = "ollama"

    def __init__(self, host: str | None = None, model: str | None = None, timeout_s: float = 300,
                 num_ctx: int = DEFAULT_NUM_CTX):
        self.host = _parse_host(host or os.environ.get("OLLAMA_HOST") or DEFAULT_HOST)
        self.model = model or ""  # "" until chosen: resolved on first use (choose_default_model)
        self.num_ctx = num_ctx
        self.timeout_s = timeout_s
        self._local = threading.local()  # the connection of the stream being opened, for cancel
        # connect fails fast (server down); read covers loading a big model and long prompts.
        # No keep-alive: each request connects anew, so a stream's own socket can be caught
        # (see _on_request); a few ms per request, nothing next to generating an answer.
        self._client = ollama.Client(host=self.host, timeout=httpx.Timeout(timeout_s, connect=3.0),
                                     limits=httpx.Limits(max_keepalive_connections=0),
                                     event_hooks={"request": [self._on_request]})
        self._probe = httpx.Client(base_url=self.host, timeout=PROBE_TIMEOUT_S)
        self._ctx_cache: dict[str, int] = {}
        self._version: str | None = None
        self.style_label = ""  # "house style v3" while answers come from that style's model
        self._styled_model = ""  # the model with the style's adapter, created from self.model

    def use_style(self, styled_model: str | None, label: str = "") -> None:
        """Answer with ``styled_model`` (the chosen model plus a house style's adapter, checked by
        core/style/apply.py) from the next answer on; None: with the chosen model itself."""
        self._styled_model = styled_model or ""
        self.style_label = label if styled_model else ""

    # -- discovery -------------------------------------------------------------------------------
    def server_version(self) -> str | None:
        if self._version is None:
            try:
                self._version = str(self._probe.get("/api/version").json()["version"])
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                return None
        return self._version

    def describe(self) -> str:
        version = self.server_version()
        who = f"Ollama {version}" if version else "Ollama (not reachable)"
        style = f", {self.style_label}" if self.style_label else ""
        return f"{who} at {self.host}, model {self.model or '(none chosen)'}{style}"

    def is_running(self) -> bool:
        try:
            return self._probe.get("/").status_code == 200
        except httpx.HTTPError:
            return False

    def list_raw_models(self) -> list:
        """/api/tags entries as the client gives them (with modified_at, digest, details)."""
        return list(self._call(self._client.list).models)

    def list_models(self) -> list[ModelInfo]:
        out = []
        for m in self.list_raw_models():
            d = m.details
            out.append(ModelInfo(m.model or "", int(m.size) if m.size is not None else None,
                                 d.family if d else None, d.parameter_size if d else None,
                                 d.quantization_level if d else None))
        return out

    def resolve_model(self) -> str:
        """The chosen model, or the default one from the server's list (remembered)."""
        if not self.model:
            chosen = choose_default_model(self.list_raw_models())
            if chosen is None:
                raise ModelMissing(
                    f"Ollama at {self.host} has no models yet. Download one with `archivist-cli "
                    f"models pull {SUGGESTED_MODEL}`, or answer with the built-in engine.",
                    SUGGESTED_MODEL, can_pull=True)
            log.info("no Ollama model chosen; using %s", chosen)
            self.model = chosen
        return self.model

    def context_length(self) -> int:
        """min(the model's trained context, num_ctx); stream_chat requests exactly this window."""
        model = self.resolve_model()
        if model not in self._ctx_cache:
            info = self._call(self._client.show, model, model=model).modelinfo or {}
            arch = info.get("general.architecture")
            trained = info.get(f"{arch}.context_length") or next(
                (v for k, v in info.items() if k.endswith(".context_length")), None)
            ctx = int(trained) if trained else UNKNOWN_MODEL_CTX
            self._ctx_cache[model] = max(1, min(ctx, self.num_ctx))
        return self._ctx_cache[model]

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    # -- answering -------------------------------------------------------------------------------
    def stream_chat(self, messages: list[ChatMessage], *, cancel: threading.Event | None = None,
                    temperature: float = 0.0, max_tokens: int | None = None) -> Iterator[str]:
        options = {"temperature": temperature, "num_ctx": self.context_length()}  # the base's window
        model = self._styled_model or self.resolve_model()
        if max_tokens:
            options["num_predict"] = max_tokens
        payload = [{"role": m.role, "content": model_text(m.content)} for m in messages]  # JSON is UTF-8
        if cancel is not None and cancel.is_set():
            return
        parts: list[str] = []
        opened: list = []  # the stream's network connection, once made
        done = threading.Event()
        if cancel is not None:  # wakes a read blocked on a slow prompt; see _abort_when_cancelled
            threading.Thread(target=_abort_when_cancelled, args=(cancel, done, opened),
                             name="ollama-cancel", daemon=True).start()
        stream = None
        try:
            stream = self._client.chat(model, messages=payload, stream=True, options=options)
            while not (cancel is not None and cancel.is_set()):
                self._local.opened = None if opened else opened  # the request goes out now
                try:
                    chunk = next(stream)
                except StopIteration:
                    break
                finally:
                    self._local.opened = None
                piece = (chunk.message.content if chunk.message else None) or ""
                if piece:
                    parts.append(piece)
                    yield piece
        except (ConnectionError, httpx.HTTPError, ollama.ResponseError, pydantic.ValidationError,
                json.JSONDecodeError) as e:
            if cancel is not None and cancel.is_set():
                return  # our own abort (or a failure after Stop): stopping is not an error
            raise self._error(e, model, partial=parts) from e
        finally:
            done.set()
            if stream is not None:
                stream.close()  # closes the HTTP response: Ollama stops generating

    def _on_request(self, request: httpx.Request) -> None:
        """Ollama sends the response headers only with the first token, after evaluating the
        prompt, so the connection is caught while it is made (httpcore's trace hook)."""
        opened = getattr(self._local, "opened", None)
        if opened is not None:
            def trace(event: str, info: dict) -> None:
                if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
                    opened.append(info.get("return_value"))
            request.extensions["trace"] = trace

    # -- models ----------------------------------------------------------------------------------
    def pull(self, model: str, on_progress: Callable[[PullProgress], None]) -> None:
        try:
            for p in self._client.pull(model, stream=True):
                on_progress(PullProgress(p.status or "", p.completed, p.total))
        except ollama.ResponseError as e:
            raise EngineError(f"Could not download {model} through Ollama at {self.host}: "
                              f"{e.error}") from e
        except (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise EngineUnavailable(not_running_message(self.host)) from e
        except httpx.HTTPError as e:
            raise EngineError(f"The connection to Ollama at {self.host} was lost while downloading "
                              f"{model} ({type(e).__name__}). Start the download again to resume "
                              "it.") from e
        except (pydantic.ValidationError, json.JSONDecodeError) as e:
            raise self._error(e, model) from e
        self._ctx_cache.pop(model, None)

    def close(self) -> None:
        self._client.close()
        self._probe.close()

    # -- errors ----------------------------------------------------------------------------------
    @property
    def client(self) -> ollama.Client:
        """The configured client (host, finite timeouts), for other work with this server."""
        return self._client

    def call(self, fn, *args, model: str | None = None):
        """``fn(*args)`` with the client's many failures turned into one EngineError (server down:
        EngineUnavailable; unknown ``model``: ModelMissing). A stream must be consumed inside fn."""
        return self._call(fn, *args, model=model)

    def _call(self, fn, *args, model: str | None = None):
        try:
            return fn(*args)
        except (ConnectionError, httpx.HTTPError, ollama.ResponseError, pydantic.ValidationError,
                json.JSONDecodeError) as e:
            raise self._error(e, model) from e

    def _error(self, e: Exception, model: str | None, partial: list[str] | None = None) -> EngineError:
        host, got = self.host, "".join(partial or [])
        if isinstance(e, ollama.ResponseError):
            if e.status_code == 404 and model and model in (e.error or ""):
                return ModelMissing(
                    f"The model {model} is not installed in Ollama at {host}. Download it with "
                    f"`archivist-cli models pull {model}`, or choose another model.", model, True)
            if e.status_code == -1 and partial is not None:
                return ConnectionLost(f"Ollama stopped in the middle of the answer: {e.error}", got)
            return EngineError(f"Ollama at {host} refused the request: {e.error} "
                               f"(HTTP {e.status_code})")
        if isinstance(e, (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout)):
            return EngineUnavailable(not_running_message(host))
        if isinstance(e, httpx.TimeoutException):
            if got:
                return ConnectionLost(f"Ollama at {host} sent nothing for {self.timeout_s:g} s in "
                                      "the middle of the answer; the part received is kept.", got)
            return EngineError(f"Ollama at {host} did not answer within {self.timeout_s:g} s. The "
                               "model may still be loading or be too large for this computer.")
        if isinstance(e, httpx.TransportError):
            if got:
                return ConnectionLost(f"The connection to Ollama at {host} was lost in the middle "
                                      f"of the answer ({type(e).__name__}); the part received is "
                                      "kept.", got)
            return EngineUnavailable(not_running_message(host))
        # ValidationError, JSONDecodeError or an odd HTTP status: not the Ollama API we know.
        detail = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        return EngineError(f"The server at {host} sent a reply Archivist could not read; is it "
                           f"Ollama (0.6 or later)? ({type(e).__name__}: {detail})")


def _abort_when_cancelled(cancel: threading.Event, done: threading.Event, opened: list) -> None:
    """Between chunks the consumer notices ``cancel`` itself; this covers a read blocked while the
    server is still evaluating a long prompt. Shutting the socket down (safe from another thread,
    unlike closing the response) wakes that read at once, and the server sees the disconnect.
    The socket is never reused (no keep-alive), so a late shutdown cannot hurt another request."""
    while not done.is_set():
        if cancel.wait(0.1):
            sock = opened[-1].get_extra_info("socket") if opened and opened[-1] else None
            if sock is not None and not done.is_set():
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return
