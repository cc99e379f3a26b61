"""Retrieval quality on the QA set without any answer model, in seconds rather than minutes: where the
expected page ranks in ``archivist.search(question, k)`` (hit@1, hit@5, hit@k, MRR), with and without
sentence-level re-ranking on the same library, and whether the evidence card's sentences hold the
expected value.

    python bench/answer_quality.py --retrieval-only [--set main|heldout|fresh] [--json]

Off-topic questions are searched too, to show the best similarity they reach next to the
answerable ones (where strict mode's gate has to sit).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from answer_quality import K, SETS, at, contains_answer
from common import percentile
from core.answer.evidence import evidence_card
from qa_library import indexed_library

MODES = {"passages": False, "sentences": True}  # mode name → sentence_rerank


def evaluate(archivist, root: Path, facts, off_topic, k: int = K, progress=None) -> dict:
    rows, off_rows = [], []
    for fact in facts:
        row = {"question": fact.question, "file": fact.file, "page": fact.page}
        for mode, rerank in MODES.items():
            started = time.perf_counter()
            hits = archivist.search(fact.question, k=k, sentence_rerank=rerank).hits
            row[f"{mode}_ms"] = round((time.perf_counter() - started) * 1000, 1)
            row[f"{mode}_rank"] = next((n for n, h in enumerate(hits, 1) if at(h.path, h.page, root, fact)), None)
            row[f"{mode}_top"] = [(Path(h.path).name, h.page) for h in hits[:3]]
        started = time.perf_counter()
        card = evidence_card(fact.question, hits, archivist.embedder)
        row["card_ms"] = round((time.perf_counter() - started) * 1000, 1)
        row["card"] = [" ".join(s.text.split()) for s in card]
        row["evidence_rank"] = next((n for n, s in enumerate(card, 1) if contains_answer(s.text, fact.answers)
                                     and at(s.path, s.page, root, fact)), None)
        row["best_similarity"] = round(max((h.similarity or 0.0 for h in hits), default=0.0), 3)
        row["best_sentence_similarity"] = round(max((s.similarity for s in card), default=0.0), 3)
        rows.append(row)
        if progress:
            progress(f"rank {row['passages_rank']} -> {row['sentences_rank']}, evidence {row['evidence_rank']}  "
                     f"{row['sentences_ms']:5.0f} + {row['card_ms']:4.0f} ms  {fact.question}")
    for question in off_topic:
        hits = archivist.search(question, k=k).hits
        card = evidence_card(question, hits, archivist.embedder)
        off_rows.append({"question": question,
                         "best_similarity": round(max((h.similarity or 0.0 for h in hits), default=0.0), 3),
                         "best_sentence_similarity": round(max((s.similarity for s in card), default=0.0), 3)})
    return figures(rows, off_rows, k)


def figures(rows: list[dict], off_rows: list[dict], k: int) -> dict:
    n = len(rows)
    result = {"questions": n, "k": k}
    for mode in MODES:
        ranks = [r[f"{mode}_rank"] for r in rows]
        times = [r[f"{mode}_ms"] for r in rows]
        result[mode] = {
            "hit_at_1": round(sum(r == 1 for r in ranks) / n, 3),
            "hit_at_5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3),
            "hit_at_k": round(sum(r is not None for r in ranks) / n, 3),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 3),
            "search_ms_p50": round(percentile(times, 50), 1), "search_ms_p95": round(percentile(times, 95), 1),
        }
    evidence = [r["evidence_rank"] for r in rows]
    card_ms = [r["card_ms"] for r in rows]
    result["evidence"] = {
        "first_sentence_right": round(sum(e == 1 for e in evidence) / n, 3),
        "any_sentence_right": round(sum(e is not None for e in evidence) / n, 3),
        "card_ms_p50": round(percentile(card_ms, 50), 1), "card_ms_p95": round(percentile(card_ms, 95), 1),
    }
    for key in ("best_similarity", "best_sentence_similarity"):
        result[key] = {"answerable": _spread([r[key] for r in rows]), "off_topic": _spread([o[key] for o in off_rows])}
    result.update(rows=rows, off_topic=off_rows)
    return result


def _spread(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"min": min(values), "median": round(statistics.median(values), 3), "max": max(values)}


def report(result: dict) -> None:
    print(f"QA set {result.get('qa_set')}: {result['questions']} questions, k={result['k']}; "
          f"library {result.get('library')}, "
          f"synced in {result.get('sync_s')} s")
    for mode, label in (("passages", "passage ranking only"), ("sentences", "with sentence re-ranking")):
        m = result[mode]
        print(f"{label:>26}: hit@1 {100 * m['hit_at_1']:.1f}%, hit@5 {100 * m['hit_at_5']:.1f}%, "
              f"hit@{result['k']} {100 * m['hit_at_k']:.1f}%, MRR {m['mrr']:.3f}; "
              f"search p50 {m['search_ms_p50']} ms, p95 {m['search_ms_p95']} ms")
    e = result["evidence"]
    print(f"evidence card: first sentence holds the expected value (right file and page) "
          f"{100 * e['first_sentence_right']:.1f}%, any of its sentences {100 * e['any_sentence_right']:.1f}%; "
          f"card after search p50 {e['card_ms_p50']} ms, p95 {e['card_ms_p95']} ms")
    spread = (lambda d: f"{d['min']:.2f} / {d['median']:.2f} / {d['max']:.2f}")
    for key, label in (("best_similarity", "passage"), ("best_sentence_similarity", "card sentence")):
        print(f"best {label} similarity, min / median / max: answerable {spread(result[key]['answerable'])}; "
              f"off-topic {spread(result[key]['off_topic'])}")
    for r in result["rows"]:
        if r["sentences_rank"] != 1 or r["evidence_rank"] != 1:
            print(f"  - rank {r['passages_rank']} -> {r['sentences_rank']}, evidence {r['evidence_rank']}: "
                  f"{r['question']!r} (expected {r['file']} p{r['page']}; top 3 {r['sentences_top']}; "
                  f"card {r['card'][:1]})")


def run(questions: int | None = None, verbose: bool = True, qa_set: str = "main") -> dict:
    library = SETS[qa_set]
    facts = library.FACTS[:questions] if questions else library.FACTS
    archivist, root, shape, sync_s = indexed_library("archivist-retrieval-", build_library=library.build)
    try:
        archivist.search("warm up", k=K)  # the first search loads the model
        say = (lambda line: print(line, flush=True)) if verbose else None
        result = evaluate(archivist, root, facts, library.OFF_TOPIC, progress=say)
    finally:
        archivist.close()
    result.update(library=shape, sync_s=sync_s, qa_set=qa_set)
    return result
