"""Chunks fit the model, overlap a little, cut at natural boundaries and point at their text."""

import random

from hypothesis import given, settings, strategies as st

from core.chunking import Chunker
from core.parsing.model import Section
from helpers import FILLER

WORDS = ("alpha beta gamma delta refund window widget invoice Lisbon office protocol key "
         "encryption antidisestablishmentarianism 2024 INV-2024-0042 ü naïve 東京").split()


def chunker(embedder, overlap=0.15):
    return Chunker(embedder.count_tokens, embedder.token_offsets, embedder.max_tokens, overlap)


def random_text(rng: random.Random, paragraphs: int) -> str:
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(1, 8)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(1, 40))]
            sentences.append(" ".join(words).capitalize() + rng.choice([".", "!", "?", ""]))
        out.append(" ".join(sentences))
    return "\n\n".join(out)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), paragraphs=st.integers(1, 60))
def test_never_longer_than_the_model_and_offsets_exact(embedder, seed, paragraphs):
    text = random_text(random.Random(seed), paragraphs)
    c = chunker(embedder)
    chunks = c.chunk_section(Section(text, start=100, page=3, heading=("H",)))
    assert chunks
    for chunk in chunks:
        assert text[chunk.start - 100:chunk.end - 100] == chunk.text
        assert len(embedder.tokenizer.encode(chunk.text).ids) <= embedder.max_tokens  # specials included
        assert chunk.page == 3 and chunk.heading == ("H",)
    # Together the chunks cover every word of the section.
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start - 100, chunk.end - 100))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_overlap_is_between_10_and_20_percent(embedder):
    text = "\n\n".join(f"Sentence {i} of the report says something about widgets. " * 3 for i in range(60))
    c = chunker(embedder)
    chunks = c.chunk_section(Section(text, 0))
    assert len(chunks) > 5
    shares = []
    for prev, cur in zip(chunks, chunks[1:]):
        overlap = max(prev.end - cur.start, 0)
        shares.append(len(embedder.tokenizer.encode(text[cur.start:cur.start + overlap], add_special_tokens=False).ids)
                      / embedder.max_tokens)
    assert all(0.08 <= s <= 0.2 for s in shares), shares


def test_cuts_fall_on_sentence_boundaries(embedder):
    text = " ".join(f"This is sentence number {i} in a long paragraph." for i in range(300))
    chunks = chunker(embedder, overlap=0).chunk_section(Section(text, 0))
    assert len(chunks) > 3
    assert all(ch.text.endswith(".") for ch in chunks)


def test_a_sentence_longer_than_the_model_is_split_not_truncated(embedder):
    text = " ".join(f"word{i}" for i in range(2000))  # one "sentence", thousands of tokens
    chunks = chunker(embedder, overlap=0).chunk_section(Section(text, 0))
    assert len(chunks) > 5
    assert " ".join(ch.text for ch in chunks).split() == text.split()


def test_an_edit_changes_only_the_chunks_around_it(embedder):
    paragraphs = [f"Paragraph {i}. " + FILLER * random.Random(i).randint(1, 3) for i in range(80)]
    before = "\n\n".join(paragraphs)
    paragraphs[40] = paragraphs[40].replace("ordinary", "quite extraordinary and much longer than before")
    after = "\n\n".join(paragraphs)
    c = chunker(embedder)
    old = {ch.text for ch in c.chunk_section(Section(before, 0))}
    new = [ch.text for ch in c.chunk_section(Section(after, 0))]
    changed = [t for t in new if t not in old]
    assert 1 <= len(changed) <= 3, len(changed)


def test_whitespace_only_sections_give_no_chunks(embedder):
    assert chunker(embedder).chunk_section(Section(" \n\n \t ", 0)) == []
