"""Hybrid retrieval: vector and full-text candidates fused by reciprocal rank, twins folded into one,
the best candidates re-ranked by their best sentence, then diversified.

Each hit says which retriever found it and at what rank, so a user can see why a passage was
chosen (and why another was not).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Protocol

from lancedb.expr import Expr

from core.embedding import Embedder
from core.sentence_rank import rerank_by_sentences
from core.sentence_vectors import sentence_vectors
from core.store import ChunkStore
from core.twins import collapse_twins

log = logging.getLogger(__name__)

RRF_K = 60  # the usual constant: damps the difference between rank 1 and rank 2
_COLUMNS = ["id", "doc_id", "path", "kind", "page", "heading", "start", "end", "text"]


@dataclass(frozen=True)
class MessageInfo:
    """The e-mail message a mail passage belongs to (attachments' passages too)."""

    sender: str
    recipients: str  # To and Cc
    date: str | None  # ISO 8601 in UTC; None when the message's date could not be read


@dataclass(frozen=True)
class Hit:
    doc_id: str
    path: str
    kind: str
    page: int | None
    heading: str
    start: int
    end: int
    text: str
    score: float  # fused reciprocal-rank score
    vector_rank: int | None = None
    similarity: float | None = None  # cosine similarity to the query
    text_rank: int | None = None
    text_score: float | None = None  # BM25
    # Its best sentence for the query (core/sentence_rank.py): cosine, and offsets like start/end.
    sentence_similarity: float | None = None
    sentence_start: int | None = None
    sentence_end: int | None = None
    also_in: tuple[tuple[str, int | None], ...] = ()  # (path, page) of the same text in other files
    message: MessageInfo | None = None  # a mail passage's message (core/mail_filter.py)

    @property
    def found_by(self) -> tuple[str, ...]:
        return tuple(n for n, r in (("vector", self.vector_rank), ("text", self.text_rank)) if r is not None)


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[Hit]
    trace: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    """What a user narrowed a search to; core/scope.py turns it into a filter on the index."""

    folder: str | None = None  # only files under this folder
    path: str | None = None  # only this file
    kinds: tuple[str, ...] = ()  # only these types ("pdf", "markdown", …)
    # Mail only (core/mail_filter.py): a part of the sender's / a recipient's name or address, any
    # case; sent on or after / on or before this day (UTC), or from / until this moment.
    sender: str | None = None
    recipient: str | None = None
    after: date | None = None
    before: date | None = None

    @property
    def of_mail(self) -> bool:
        return bool(self.sender or self.recipient or self.after or self.before)


class Scope(Protocol):
    """Which passages a search may return (``where``) and the path each is shown under (core/scope.py)."""

    filters: Filters
    where: Expr | None

    def place(self, doc_id: str, shown: str) -> str: ...


class Searcher:
    def __init__(self, store: ChunkStore, embedder: Embedder):
        self.store = store
        self.embedder = embedder

    def search(self, query: str, k: int = 8, scope: Scope | None = None, per_file: int = 3,
               candidates: int | None = None, sentence_rerank: bool = True) -> SearchResult:
        """``sentence_rerank`` embeds the sentences of the best candidates (~0.1–0.3 s on 2 cores):
        worth it before an answer, not for a list of passages typed as you go. Without a ``scope``,
        everything is searched and hits keep the path the index shows."""
        candidates = candidates or max(4 * k, 20)
        where = scope.where if scope else None
        place = scope.place if scope else _as_shown
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        # Through the sentence cache: the evidence card of this question needs the same vector.
        vector = sentence_vectors(self.embedder).vectors([query])[0]
        timings["embed_ms"] = _ms(t0)

        t1 = time.perf_counter()
        vq = self.store.vector_query(vector)
        if where is not None:
            vq = vq.where(where, prefilter=True)
        by_vector = vq.select(_COLUMNS + ["_distance"]).limit(candidates).to_list()
        timings["vector_ms"] = _ms(t1)

        t2 = time.perf_counter()
        by_text, text_error = self._text_candidates(query, where, candidates)
        timings["text_ms"] = _ms(t2)

        # Placed before twins fold, so "also in" names real files too.
        fused, twins = collapse_twins(_fuse(by_vector, by_text, place))
        if sentence_rerank and fused:
            t3 = time.perf_counter()
            fused = rerank_by_sentences(query, fused, self.embedder)
            timings["sentences_ms"] = _ms(t3)
        hits, dropped = _diversify(fused, k, per_file)
        timings["total_ms"] = _ms(t0)
        trace = {
            "vector_candidates": len(by_vector),
            "text_candidates": len(by_text),
            "dropped_for_diversity": dropped,
            "twins_folded": twins,
            "sentence_rerank": sentence_rerank,
            "per_file": per_file,
            "filters": {k: v for k, v in (scope.filters.__dict__ if scope else {}).items() if v},
            "timings": timings,
        }
        if text_error:
            trace["text_search_error"] = text_error  # shown in "Why these sources?" and --json
        return SearchResult(query, hits, trace)

    def _text_candidates(self, query: str, where: Expr | None, limit: int) -> tuple[list[dict], str]:
        """Full-text candidates, and why there are none when the search failed ("" when it ran):
        the answer goes on from meaning alone, and the trace says that exact words were not searched."""
        if not query.strip():
            return [], ""
        try:
            tq = self.store.table.search(query, query_type="fts", fts_columns="text")
            if where is not None:
                tq = tq.where(where, prefilter=True)
            return tq.select(_COLUMNS + ["_score"]).limit(limit).to_list(), ""
        except (ValueError, RuntimeError, OSError) as exc:  # a damaged or missing full-text index
            if _empty(self.store):
                return [], ""  # nothing indexed yet: no full-text index to search, nothing to say
            log.warning("full-text search failed, searching by meaning only: %s", exc)
            return [], f"full-text search failed, searched by meaning only: {exc}"


def _empty(store: ChunkStore) -> bool:
    try:
        return store.table.count_rows() == 0
    except (ValueError, RuntimeError, OSError):
        return False


def _as_shown(doc_id: str, shown: str) -> str:
    return shown


def _fuse(by_vector: list[dict], by_text: list[dict], place: Callable[[str, str], str]) -> list[Hit]:
    merged: dict[str, dict] = {}
    for rank, row in enumerate(by_vector, 1):
        entry = merged.setdefault(_key(row), {"row": row, "score": 0.0})
        entry["score"] += 1.0 / (RRF_K + rank)
        entry["vector_rank"] = rank
        entry["similarity"] = 1.0 - float(row["_distance"])
    for rank, row in enumerate(by_text, 1):
        entry = merged.setdefault(_key(row), {"row": row, "score": 0.0})
        entry["score"] += 1.0 / (RRF_K + rank)
        entry["text_rank"] = rank
        entry["text_score"] = float(row.get("_score", 0.0))
    hits = []
    for entry in merged.values():
        row = entry["row"]
        hits.append(Hit(
            doc_id=row["doc_id"], path=place(row["doc_id"], row["path"]), kind=row["kind"], page=row["page"] or None,
            heading=row["heading"], start=row["start"], end=row["end"], text=row["text"],
            score=entry["score"], vector_rank=entry.get("vector_rank"), similarity=entry.get("similarity"),
            text_rank=entry.get("text_rank"), text_score=entry.get("text_score"),
        ))
    hits.sort(key=lambda h: h.score, reverse=True)
    return hits


def _key(row: dict) -> str:
    return row["id"]


def _diversify(hits: list[Hit], k: int, per_file: int) -> tuple[list[Hit], int]:
    """At most ``per_file`` passages from one document while others are waiting, so one long file
    cannot crowd out the rest; slots nobody else wants go back to the best of what was held back."""
    kept: list[Hit] = []
    held: list[Hit] = []
    per_doc: dict[str, int] = {}
    for hit in hits:
        if len(kept) == k:
            break
        if per_doc.get(hit.doc_id, 0) >= per_file:
            held.append(hit)
            continue
        per_doc[hit.doc_id] = per_doc.get(hit.doc_id, 0) + 1
        kept.append(hit)
    refill = held[: k - len(kept)]
    if refill:
        kept = sorted(kept + refill, key=lambda h: h.score, reverse=True)
    return kept, len(held) - len(refill)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
