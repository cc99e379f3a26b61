"""Bridge from worker threads to Ollama-style responses.

Ollama's rule (routes.go streamResponse/waitForStream): an error before any
output is an HTTP status with {"error"}; after output it is one {"error"}
line in the 200 NDJSON stream; with stream=false the last progress object
(or the error with its status) is sent as plain JSON.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Callable, Iterator

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from .engine import StandinError


def dumps(obj) -> bytes:
    # Compact, one object per line, never a blank line: the client runs
    # json.loads on every line it reads.
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def error(message: str, status: int) -> Response:
    return Response(dumps({"error": message})[:-1], status_code=status,
                    media_type="application/json; charset=utf-8")


class Job:
    """Run `work(cancel)` (an iterator of events) in a thread; events arrive on
    an asyncio queue as ("line", obj), ("error", StandinError) or ("end", None)."""

    def __init__(self, work: Callable[[threading.Event], Iterator[dict]]):
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.cancel = threading.Event()
        self._checked = time.monotonic()
        threading.Thread(target=self._run, args=(work,), daemon=True).start()

    def _put(self, item) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # event loop gone: nobody is listening
            self.cancel.set()

    def _run(self, work) -> None:
        gen = None
        try:
            gen = work(self.cancel)
            for obj in gen:
                self._put(("line", obj))
        except StandinError as e:
            self._put(("error", e))
        except Exception as e:  # surfaced like a runner failure
            self._put(("error", StandinError(f"{type(e).__name__}: {e}", 500)))
        finally:
            if gen is not None:
                gen.close()
            self._put(("end", None))

    async def next(self, request: Request | None = None):
        """Next event; with a request, also notice a client that went away
        while nothing is being written (the non-streaming case)."""
        # One pending queue read at a time, waited on without cancelling it: a read cancelled by a
        # timeout at the moment it completed would drop that event.
        if getattr(self, "_pending", None) is None:
            self._pending = asyncio.ensure_future(self.queue.get())
        while request is not None:
            now = time.monotonic()
            if now - self._checked > 0.25:  # at most 4 checks a second
                self._checked = now
                if await request.is_disconnected():
                    self.cancel.set()
                    raise ClientDisconnect()
            done, _ = await asyncio.wait({self._pending}, timeout=0.25)
            if done:
                break
        item = await self._pending
        self._pending = None
        return item


class NDJSONResponse(StreamingResponse):
    media_type = "application/x-ndjson"

    def __init__(self, content, on_close: Callable[[], None]):
        super().__init__(content)
        self.on_close = on_close

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except (ClientDisconnect, OSError):
            pass  # the client closed the stream early; that is allowed
        finally:
            self.on_close()  # stop the generation thread between tokens


async def respond(request: Request, work, stream: bool,
                  combine: Callable[[list], dict] | None = None) -> Response:
    job = Job(work)
    try:
        kind, obj = await job.next(request)
    except ClientDisconnect:
        return Response(status_code=499)
    if kind == "error":
        job.cancel.set()
        return error(str(obj), obj.status)
    if not stream:
        items = []
        while kind != "end":
            if kind == "error":
                return error(str(obj), obj.status)
            items.append(obj)
            try:
                kind, obj = await job.next(request)
            except ClientDisconnect:
                return Response(status_code=499)
        body = combine(items) if combine else items[-1]
        return Response(dumps(body)[:-1], media_type="application/json; charset=utf-8")

    async def body():
        k, o = kind, obj
        while k != "end":
            if k == "error":
                yield dumps({"error": str(o)})
                break
            yield dumps(o)
            k, o = await job.next()

    return NDJSONResponse(body(), on_close=job.cancel.set)
