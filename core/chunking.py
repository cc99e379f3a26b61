"""Cut parsed sections into passages that fit the embedding model, at natural boundaries.

Every chunk is a contiguous slice of its section, so its offsets point at the exact passage.
Chunks never exceed the model's sequence length (nothing is silently truncated), start with a
tail of the previous chunk (the overlap), and prefer to end at paragraph, then sentence, then
word boundaries. Some paragraph ends are content-defined cut points, so an edit changes only
the chunks around it instead of shifting every boundary after it.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from core.parsing.model import ParsedDocument, Section

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# A sentence ends at . ! ? (optionally closed by quotes/brackets) followed by space, or at a line
# break that follows such a mark; good enough for cut points, which is all it is used for.
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"')\]]*\s+")
_ANCHOR_MODULUS = 3  # about one paragraph end in three becomes a fixed cut point


@dataclass(frozen=True)
class Chunk:
    text: str
    start: int  # offsets in the section's locator unit (see core.parsing.model.Section)
    end: int
    page: int | None
    heading: tuple[str, ...]


@dataclass
class _Unit:
    start: int
    end: int
    tokens: int
    paragraph_end: bool
    anchor: bool = False  # a content-defined cut point (see _ANCHOR_MODULUS)


class Chunker:
    """Token-budgeted chunking with the embedding model's own tokenizer.

    ``count_tokens`` counts word pieces without special tokens; ``token_offsets`` gives the
    character span of each word piece (both from ``core.embedding.Embedder``).
    """

    def __init__(
        self,
        count_tokens: Callable[[Sequence[str]], list[int]],
        token_offsets: Callable[[str], list[tuple[int, int]]],
        max_tokens: int,
        overlap: float = 0.15,
    ):
        self._count = count_tokens
        self._offsets = token_offsets
        self.limit = max_tokens - 2  # room for [CLS] and [SEP]
        self.overlap_tokens = int(max_tokens * overlap)
        self.budget = self.limit - self.overlap_tokens

    def chunk_document(self, doc: ParsedDocument) -> list[Chunk]:
        return list(self.iter_chunks(doc))

    def iter_chunks(self, doc: ParsedDocument) -> Iterator[Chunk]:
        """Chunks section by section, so a huge document's passages need not exist all at once."""
        for section in doc.sections:
            yield from self.chunk_section(section)

    def chunk_section(self, section: Section) -> list[Chunk]:
        text = section.text
        units = self._units(text)
        if not units:
            return []
        groups = self._pack(units)
        chunks = []
        previous_start = None
        for group in groups:
            start, end = group[0].start, group[-1].end
            if previous_start is not None:
                start = self._overlap_start(text, previous_start, start, end)
            if self._count([text[start:end]])[0] > self.limit:
                start = group[0].start  # tokenisation at the seam differed; drop the overlap
            body = text[start:end]
            if body.strip():
                chunks.append(
                    Chunk(body, section.start + start, section.start + end, section.page, section.heading)
                )
            previous_start = group[0].start
        return chunks

    # -- splitting ---------------------------------------------------------------------------

    def _units(self, text: str) -> list[_Unit]:
        spans: list[tuple[int, int, bool]] = []
        for p_start, p_end in _spans(text, _PARAGRAPH_BREAK, 0, len(text)):
            sentences = list(_spans(text, _SENTENCE_END, p_start, p_end))
            for i, (s_start, s_end) in enumerate(sentences):
                spans.append((s_start, s_end, i == len(sentences) - 1))
        counts = self._count([text[s:e] for s, e, _ in spans])
        units: list[_Unit] = []
        paragraph_start = spans[0][0] if spans else 0
        for (start, end, para_end), tokens in zip(spans, counts):
            if tokens <= self.budget:
                units.append(_Unit(start, end, tokens, para_end))
            else:
                units.extend(self._split_long(text, start, end, para_end))
            if para_end:
                # Decided by the paragraph's own words, so edits elsewhere cannot move it.
                paragraph = text[paragraph_start:end].encode("utf-8", "surrogatepass")
                units[-1].anchor = zlib.crc32(paragraph) % _ANCHOR_MODULUS == 0
                paragraph_start = end
        return units

    def _split_long(self, text: str, start: int, end: int, para_end: bool) -> list[_Unit]:
        """A sentence longer than the budget: cut it into windows of word pieces at whitespace."""
        offsets = self._offsets(text[start:end])
        pieces: list[_Unit] = []
        i = 0
        while i < len(offsets):
            j = min(i + self.budget, len(offsets))
            if j < len(offsets):
                # Back off to a token that starts a new word, unless the "word" is huge.
                k = j
                while k > i + self.budget // 2 and not _starts_word(text, start, offsets[k]):
                    k -= 1
                if k > i + self.budget // 2:
                    j = k
            piece_start = start + offsets[i][0] if i else start
            piece_end = start + offsets[j][0] if j < len(offsets) else end
            pieces.append(_Unit(piece_start, piece_end, j - i, para_end and j == len(offsets)))
            i = j
        return pieces

    # -- packing ------------------------------------------------------------------------------

    def _pack(self, units: list[_Unit]) -> list[list[_Unit]]:
        groups: list[list[_Unit]] = []
        current: list[_Unit] = []
        tokens = 0
        for unit in units:
            if current and tokens + unit.tokens > self.budget:
                cut = self._best_cut(current)
                groups.append(current[:cut])
                current = current[cut:]
                tokens = sum(u.tokens for u in current)
                if current and tokens + unit.tokens > self.budget:  # the remainder is still too full
                    groups.append(current)
                    current, tokens = [], 0
            current.append(unit)
            tokens += unit.tokens
            if tokens >= self.budget // 2 and unit.anchor:
                groups.append(current)
                current, tokens = [], 0
        if current:
            groups.append(current)
        return groups

    def _best_cut(self, units: list[_Unit]) -> int:
        """Where to end a full chunk: the last paragraph end that keeps it at least 60 % full."""
        running = 0
        best = len(units)
        for i, unit in enumerate(units):
            running += unit.tokens
            if unit.paragraph_end and running >= 0.6 * self.budget and i + 1 < len(units):
                best = i + 1
        return best

    def _overlap_start(self, text: str, prev_start: int, start: int, end: int) -> int:
        """Begin the chunk with up to ``overlap_tokens`` word pieces of what precedes it."""
        if self.overlap_tokens <= 0 or start <= prev_start:
            return start
        room = self.limit - self._count([text[start:end]])[0]
        want = min(self.overlap_tokens, max(room, 0))
        if want <= 0:
            return start
        offsets = self._offsets(text[prev_start:start])
        if not offsets:
            return start
        first = max(len(offsets) - want, 0)
        # Start on a word boundary so the overlap reads naturally.
        while first < len(offsets) and not _starts_word(text, prev_start, offsets[first]):
            first += 1
        if first >= len(offsets):
            return start
        return prev_start + offsets[first][0]


def _spans(text: str, separator: re.Pattern, lo: int, hi: int):
    """Non-blank spans of text[lo:hi] between separator matches, trimmed of outer whitespace."""
    position = lo
    for match in separator.finditer(text, lo, hi):
        yield from _trimmed(text, position, match.start())
        position = match.end()
    yield from _trimmed(text, position, hi)


def _trimmed(text: str, start: int, end: int):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


def _starts_word(text: str, base: int, offset: tuple[int, int]) -> bool:
    position = base + offset[0]
    return position == 0 or text[position - 1].isspace()
