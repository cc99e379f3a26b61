"""The same text in two files takes one result slot: an HTML page and its Markdown source, a PDF and
the text it was made from. The better-ranked passage stays, and names where else it is
(``Hit.also_in``), so the user still sees both files.

Files with identical bytes already share one set of passages (content-hash identity); this is about
different files whose passages hold the same words, and about the same words in two places of one
file: an attachment sent again in a mailbox (cited by message), a paragraph repeated on another page. Measured on real files (tests/test_twins.py):
a Markdown and an HTML rendering of one text give passages with the same word sequence; a PDF and
the .txt it was made from cut passages at different places (a page ends where the text runs on, and
the .txt passage repeats the end of the one before), so one passage holds all of the other's word
triples while their overlap is 0.74 of the union. Adjacent passages of one page share only their
overlap (a third of their triples at the default 15 %), and are never compared anyway; passages do
not run across pages, so two pages (or messages) of one file share no overlap.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from core.locator import place
from core.parsing.formats import SUPPORTED_EXTENSIONS

MIN_CONTAINMENT = 0.9  # share of one passage's word triples found in the other
# When the kept passage is the one contained, the other may add a little (the overlap with the
# passage before it: 0.74 above), not a whole paragraph (a one-paragraph PDF page inside a
# two-paragraph .txt passage: 0.49).
MIN_JACCARD = 0.6
_WORD = re.compile(r"[^\W_]+")


def collapse_twins(hits: list) -> tuple[list, int]:
    """``hits`` (best first) with each passage whose twin ranks higher folded into that twin's
    ``also_in``; returns the kept hits and how many were folded."""
    kept: list = []
    shingles: list[set] = []
    folded = 0
    for hit in hits:
        mine = _shingles(hit.text)
        twin = next((i for i, k in enumerate(kept)
                     if (k.doc_id, k.page) != (hit.doc_id, hit.page) and _folds_into(mine, shingles[i])), None)
        if twin is None:
            kept.append(hit)
            shingles.append(mine)
            continue
        first = kept[twin]
        places = [*first.also_in, (hit.path, hit.page), *hit.also_in]
        kept[twin] = replace(first, also_in=tuple(dict.fromkeys(p for p in places if p != (first.path, first.page))))
        folded += 1
    return kept, folded


def _shingles(text: str) -> set:
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return {tuple(words)}
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def _folds_into(lower: set, kept: set) -> bool:
    """A lower-ranked passage adds nothing to a kept one (all but a few of its words are there), or
    holds the kept one and adds little to it."""
    common = len(lower & kept)
    if not common:
        return False
    if common / len(lower) >= MIN_CONTAINMENT:
        return True
    return common / len(kept) >= MIN_CONTAINMENT and common / len(lower | kept) >= MIN_JACCARD


def describe_twins(also_in) -> str:
    """"also in guide.html, guide.pdf (p. 3)" for a kept passage's ``also_in`` ("" when it has none)."""
    places = [Path(path).name + (f" ({place(SUPPORTED_EXTENSIONS.get(Path(path).suffix.lower()), page)})" if page else "")
              for path, page in also_in or ()]
    return "also in " + ", ".join(places) if places else ""
