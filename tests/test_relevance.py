"""Strict mode weighs exact words too: a question naming an identifier is answered from the passage
that holds it, however low that passage's cosine; off-topic questions are still refused.
Real embedding model, real LanceDB."""

from dataclasses import replace

import pytest

from core.answer.relevance import MIN_SIMILARITY_WITH_TEXT_MATCH, exact_terms, judge
from helpers import FILLER, make_pdf, write

# A code mentioned once in an unrelated paragraph: the only thing a question about it shares with it.
COOKING = ("Simmer the onions slowly in butter until they turn golden, then add the garlic and a pinch of "
           "salt. Stir in the tomatoes, lower the heat and let the sauce reduce while the pasta cooks. ")
BURIED = f"{COOKING * 3}The auditors filed report QX-5582 without comment. {COOKING * 3}"


@pytest.fixture
def library(docs, make_archivist):
    make_pdf(docs / "minutes.pdf", [FILLER, BURIED])
    write(docs / "notes.md", f"# Notes\n\n{FILLER}\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    return archivist


def test_identifiers_and_quoted_terms_are_exact_terms_numbers_are_not():
    assert exact_terms("Who was invoice INV-2024-0042 issued to?") == ["INV-2024-0042"]
    assert exact_terms('Where is "blue folder" kept, and what is KB4471?') == ["KB4471", "blue folder"]
    assert exact_terms("What happened in 2023 within the 30-day window, on the 5th?") == []


def test_a_buried_fact_is_judged_by_its_sentence_not_its_passage(library):
    question = "What is QX-5582?"
    hits = library.search(question, k=8).hits
    holder = next(h for h in hits if "QX-5582" in h.text)
    assert (holder.similarity or 0) < MIN_SIMILARITY_WITH_TEXT_MATCH  # the passage alone would be refused
    verdict = judge(question, hits)
    assert verdict.relevant and "sentence" in verdict.reason


def test_an_identifier_is_enough_when_no_sentence_was_scored(library):
    question = "What is QX-5582?"
    hits = [replace(h, sentence_similarity=None) for h in library.search(question, k=8).hits]
    verdict = judge(question, hits)
    assert verdict.relevant and "QX-5582" in verdict.reason


@pytest.mark.parametrize("question", ["What is the capital of Mongolia?", "Who won the 1998 World Cup?",
                                      "What did report QX-9999 say?"])
def test_off_topic_questions_are_still_refused(library, question):
    verdict = judge(question, library.search(question, k=8).hits)
    assert not verdict.relevant, verdict.reason
