"""Sentence evidence and sentence-level re-ranking on a real library: a fact sentence buried in a PDF
page about something else, next to passages that are about the question's subject but do not hold
the answer. Real model, real LanceDB, real files."""

import pymupdf
import pytest

from core.answer.evidence import best_sentences, evidence_card, sentence_scores, with_neighbours
from core.answer.pipeline import EvidenceFound, Retrieved, ask
from core.parsing.pdf import PAGE_TEXT_FLAGS
from helpers import make_pdf, write

FACT = "The spare key to the server room is kept in locker 17 at the reception desk."
QUESTION = "Where can I find the spare key for the server room?"
KITCHEN = [
    "The office kitchen on the second floor is shared by all teams. The dishwasher runs every evening at "
    "six, so cups left in the sink after that wait until the next day. Fresh milk is delivered on Mondays "
    "and Thursdays, and the oat milk is on the top shelf of the fridge.",
    "Please label any food you keep in the fridge with your name and the date. Unlabelled food is thrown "
    "away on Friday afternoons. The coffee machine is descaled once a month by the facilities team, and "
    "while it is being descaled the filter coffee in the meeting room is the only option.",
    "Birthday cakes are welcome, but tell the office manager a day ahead so that plates and forks can be "
    "put out. The kitchen closes at eight in the evening, when the cleaners arrive.",
]
SERVER_ROOM = [
    "The server room is on the basement level. Its temperature is held at 21 degrees by two air "
    "conditioning units, and an alarm is sent to the on-call engineer when it rises above 27 degrees.",
    "Only the infrastructure team has badge access to the server room. Visitors to the server room must be "
    "accompanied at all times, and every visit is written in the access log at the door.",
    "Cabling in the server room follows the colour code: blue for office network, red for the storage "
    "network, yellow for management ports. Cables are labelled at both ends before they are plugged in.",
]


def page_text(path, page: int) -> str:
    """A PDF page's text exactly as the index reads it (the offsets of passages point into this)."""
    with pymupdf.open(str(path)) as doc:
        return doc[page - 1].get_text("text", flags=PAGE_TEXT_FLAGS)


@pytest.fixture
def library(docs, make_archivist):
    buried = KITCHEN[0] + " " + KITCHEN[1] + " " + FACT + " " + KITCHEN[2]
    make_pdf(docs / "office-handbook.pdf", ["Welcome to the office. " + KITCHEN[2], buried, KITCHEN[1]])
    for n, text in enumerate(SERVER_ROOM):
        write(docs / f"it/server-room-{n}.md", f"# Server room notes {n}\n\n{text}\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    return archivist


def flat(text: str) -> str:
    return " ".join(text.split())  # the PDF wraps lines where it likes


def is_buried_page(hit, docs) -> bool:
    return hit.path == str(docs / "office-handbook.pdf") and hit.page == 2


def test_buried_fact_ranks_first_only_with_sentence_reranking(library, docs):
    plain = library.search(QUESTION, k=4, sentence_rerank=False).hits
    # The premise: as a whole, the kitchen page is further from the question than the server-room notes.
    assert not is_buried_page(plain[0], docs)
    reranked = library.search(QUESTION, k=4).hits
    assert is_buried_page(reranked[0], docs)
    best = reranked[0]
    assert best.sentence_similarity > best.similarity  # the passage's one relevant sentence carried it
    assert flat(page_text(docs / "office-handbook.pdf", 2)[best.sentence_start:best.sentence_end]) == FACT


def test_evidence_card_quotes_the_fact_with_offsets_into_its_page(library, docs, embedder):
    hits = library.search(QUESTION, k=4).hits
    card = evidence_card(QUESTION, hits, embedder)
    assert 1 <= len(card) <= 3
    first = card[0]
    assert flat(first.text) == FACT
    assert (first.path, first.page) == (str(docs / "office-handbook.pdf"), 2)
    text = page_text(docs / "office-handbook.pdf", 2)
    assert text[first.start:first.end] == first.text
    for sentence in card[1:]:
        source = page_text(docs / "office-handbook.pdf", sentence.page) if sentence.page else \
            (docs / sentence.path).read_text(encoding="utf-8")
        assert source[sentence.start:sentence.end] == sentence.text
    assert [s.score for s in card] == sorted((s.score for s in card), reverse=True)
    widened = with_neighbours(first, hits)
    assert text[widened.start:widened.end] == widened.text
    assert widened.start < first.start and widened.end > first.end and FACT in flat(widened.text)


def test_sentence_scores_cover_the_passages_and_the_best_are_distinct(library, embedder):
    hits = library.search(QUESTION, k=4).hits
    scored = sentence_scores(QUESTION, hits, embedder)
    assert {s.rank for s in scored} == set(range(1, len(hits) + 1))  # every passage was read
    best = best_sentences(scored, limit=5)
    assert len({" ".join(s.text.split()) for s in best}) == len(best)
    assert flat(best[0].text) == FACT and best[0].lexical > 0.5 and best[0].similarity > 0.5


class PromptOnlyEngine:
    """The answer is not under test: only what happens before the model is called."""
    name, model = "prompt-only", "none"

    def context_length(self) -> int:
        return 4096

    def count_tokens(self, text: str) -> int:
        return len(text) // 3 + 1

    def stream_chat(self, messages, **kwargs):
        raise AssertionError("the evidence card must not need the model")


def test_answer_events_carry_the_card_before_the_model_is_called(library, docs):
    events = ask(library, PromptOnlyEngine(), QUESTION, k=4)
    card = next(events)  # first of all: before the prompt is built (the engine may still be loading)
    assert isinstance(card, EvidenceFound) and card.sentences and flat(card.sentences[0].text) == FACT
    retrieved = next(events)
    events.close()
    assert isinstance(retrieved, Retrieved)
    assert retrieved.evidence and flat(retrieved.evidence[0].text) == FACT and retrieved.evidence[0].page == 2
    assert retrieved.trace["timings"]["evidence_ms"] >= 0
