"""Vectors of sentences (and questions) embedded at question time, kept in memory by text hash.

Sentence vectors are not stored in the index: embedding every sentence at sync time would double
the embedding work of a sync. They are computed for a question's candidate passages only, and kept
so that a sentence is embedded once however often it comes back (re-ranking and the evidence card
of one question share them; so do the next questions about the same documents).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict

import numpy as np

from core.embedding import Embedder

CAPACITY = 20_000  # vectors kept (384 floats each: about 30 MB)


class SentenceVectors:
    """Embeds texts through one Embedder, remembering the newest ``capacity`` vectors."""

    def __init__(self, embedder: Embedder, capacity: int = CAPACITY):
        self.embedder = embedder
        self.capacity = capacity
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()

    def has(self, text: str) -> bool:
        with self._lock:
            return _key(text) in self._vectors

    def vectors(self, texts: list[str]) -> np.ndarray:
        """One unit-length row per text, in order."""
        keys = [_key(t) for t in texts]
        with self._lock:
            known = {k: self._vectors[k] for k in keys if k in self._vectors}
            for k in known:
                self._vectors.move_to_end(k)
        missing = list({k: t for k, t in zip(keys, texts) if k not in known}.items())
        if missing:
            # Shortest first: texts of similar length share a batch, so little padding is computed.
            missing.sort(key=lambda item: len(item[1]))
            fresh = self.embedder.embed([t for _, t in missing])
            with self._lock:
                for (k, _), vector in zip(missing, fresh):
                    known[k] = self._vectors[k] = vector
                while len(self._vectors) > self.capacity:
                    self._vectors.popitem(last=False)
        if not keys:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([known[k] for k in keys])


_BY_EMBEDDER: "weakref.WeakKeyDictionary[Embedder, SentenceVectors]" = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def sentence_vectors(embedder: Embedder) -> SentenceVectors:
    """The one cache of ``embedder`` (a model's vectors are never mixed with another's)."""
    with _REGISTRY_LOCK:
        cache = _BY_EMBEDDER.get(embedder)
        if cache is None:
            cache = _BY_EMBEDDER[embedder] = SentenceVectors(embedder)
        return cache


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
