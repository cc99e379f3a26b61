"""Whole-document summaries and comparisons: every passage is read (map), notes are combined (reduce).

The map-reduce mechanics are checked with a recording engine and a tiny window (many parts, reduce
rounds); the real SmolLM2 then summarizes and compares real indexed files end to end."""

import threading

import pytest

from core.answer.pipeline import Token
from core.answer.summarize import NotIndexed, Progress, Summarized, summarize
from core.llm.embedded_engine import EmbeddedEngine
from helpers import FACTS, FILLER, make_pdf, write

PAGE_TEXTS = [f"Page {n} says: the checkpoint code for stage {n} is {n * 1111}. " + FILLER * 2
              for n in range(1, 9)]


class RecordingEngine:
    """Writes short fixed notes and remembers every prompt (a unit-test double for the mechanics)."""
    name, model = "recording", "notes-v1"

    def __init__(self, context: int):
        self.context, self.calls = context, []

    def context_length(self) -> int:
        return self.context

    def count_tokens(self, text: str) -> int:
        return len(text) // 3 + 1

    def stream_chat(self, messages, *, cancel=None, temperature=0.0, max_tokens=None):
        self.calls.append(messages[-1].content)
        yield from ["- noted", " [1]"] if "Summarize" in messages[-1].content else ["- a note about it"]


@pytest.fixture
def book(docs, make_archivist):
    make_pdf(docs / "book.pdf", PAGE_TEXTS)
    write(docs / "refunds.md", f"# Refunds\n\n{FACTS[0]}\n\n{FILLER}\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    return archivist


def test_every_passage_is_read_then_notes_are_combined(book, docs):
    engine = RecordingEngine(context=900)
    events = list(summarize(book, engine, [str(docs / "book.pdf")]))
    done = events[-1]
    assert isinstance(done, Summarized) and done.status == "complete" and done.task == "summary"
    passages = book.passages(str(docs / "book.pdf"))
    assert done.passages == len(passages) and done.parts > 2  # a small window needs several parts
    read_prompts = engine.calls[: done.parts]
    for n in range(1, 9):  # not top-k: every page's fact went through a map call
        assert any(f"stage {n} is {n * 1111}" in prompt for prompt in read_prompts)
    reads = [e for e in events if isinstance(e, Progress) and e.stage == "read"]
    assert [e.done for e in reads] == list(range(done.parts + 1)) and all(e.total == done.parts for e in reads)
    assert "book.pdf, page" in reads[0].label and reads[-1].done == reads[-1].total
    assert done.citations and done.citations[0].path == str(docs / "book.pdf") and done.citations[0].page == 1
    assert "".join(e.text for e in events if isinstance(e, Token)).strip() == done.text


def test_notes_too_many_for_one_window_are_reduced_in_rounds(docs, make_archivist):
    make_pdf(docs / "long.pdf", PAGE_TEXTS * 5)
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    engine = RecordingEngine(context=1000)
    engine.stream_chat = _long_notes(engine.stream_chat)
    events = list(summarize(archivist, engine, [str(docs / "long.pdf")]))
    done = events[-1]
    assert done.rounds >= 1 and done.status == "complete"
    combines = [e for e in events if isinstance(e, Progress) and e.stage == "combine"]
    assert combines and len(engine.calls) == done.parts + len(combines) + 1  # map, reduce, the answer
    assert done.citations and done.citations[0].heading.startswith("pages 1-")  # a note spans pages
    assert "shortened" in done.caveat and not done.left_out  # the reader is told details may be lost


def test_notes_that_still_do_not_fit_are_named_as_left_out(docs, make_archivist, monkeypatch):
    from core.answer import summarize as summarize_module

    make_pdf(docs / "long.pdf", PAGE_TEXTS * 5)
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    monkeypatch.setattr(summarize_module, "MAX_ROUNDS", 0)  # no shortening: what does not fit is dropped
    engine = RecordingEngine(context=1000)
    engine.stream_chat = _long_notes(engine.stream_chat)
    done = list(summarize(archivist, engine, [str(docs / "long.pdf")]))[-1]
    assert done.left_out and all("long.pdf" in label for label in done.left_out)
    assert done.caveat.startswith("This summary is incomplete: ") and done.left_out[-1] in done.caveat


def _long_notes(stream_chat):
    def chat(messages, **kw):
        list(stream_chat(messages, **kw))
        yield "- " + "a long note that keeps many details " * 12
    return chat


def test_cancel_stops_reading_and_keeps_no_answer(book, docs):
    engine, cancel = RecordingEngine(context=900), threading.Event()
    events = []
    for event in summarize(book, engine, [str(docs / "book.pdf")], cancel=cancel):
        events.append(event)
        if isinstance(event, Progress) and event.done == 1:
            cancel.set()
    done = events[-1]
    assert done.status == "stopped" and done.text == "" and len(engine.calls) == 1 < done.parts


def test_a_file_that_is_not_indexed_is_named_before_any_model_call(book, docs):
    engine = RecordingEngine(context=900)
    with pytest.raises(NotIndexed, match="elsewhere.pdf"):
        list(summarize(book, engine, [str(docs / "book.pdf"), str(docs / "elsewhere.pdf")]))
    assert engine.calls == []


@pytest.fixture(scope="module")
def smollm():
    engine = EmbeddedEngine(n_ctx=2048)
    yield engine
    engine.close()


@pytest.mark.slow
def test_real_model_summarizes_and_compares_whole_files(book, docs, smollm):
    events = list(summarize(book, smollm, [str(docs / "book.pdf")]))
    done = events[-1]
    assert done.status == "complete" and done.text and done.engine == "embedded"
    assert done.passages == len(book.passages(str(docs / "book.pdf")))
    assert all(c.path == str(docs / "book.pdf") for c in done.citations)

    both = [str(docs / "book.pdf"), str(docs / "refunds.md")]
    compared = list(summarize(book, smollm, both, "Which one is about refunds?"))[-1]
    assert compared.task == "comparison" and compared.text and compared.files == both
    reads = [e for e in events if isinstance(e, Progress) and e.stage == "read"]
    assert reads and reads[-1].total == done.parts


def test_summarize_and_compare_questions_name_their_files():
    from core.answer.route import whole_document_request as route

    paths = ["/d/handbook.pdf", "/d/finance.md", "/e/report-2024.docx", "/f/finance.md"]
    assert route("Summarize handbook.pdf", paths) == ["/d/handbook.pdf"]
    assert route("please compare report-2024 and the handbook", paths) == ["/e/report-2024.docx",
                                                                           "/d/handbook.pdf"]
    assert route("What does handbook.pdf say about refunds?", paths) == []  # a question, not a summary
    assert route("summarize everything", paths) == []
    assert route("summarise finance.md", paths) == []  # two files have that name: ask normally
