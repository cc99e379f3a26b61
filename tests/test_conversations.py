"""Conversation history: real SQLite files, reopened to prove what was written is what is read."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading

import pytest

from core import layout
from core.conversations import ConversationStore, citations_from_hits, md_inline, short_title
from core.search import Hit

CITATIONS = [
    {"n": 1, "path": "/docs/report.pdf", "page": 3, "heading": "Introduction", "start": 120, "end": 480,
     "snippet": "The budget for 2024 was approved in March.", "score": 0.0325},
    {"n": 2, "path": "/docs/notes.md", "page": None, "heading": "", "start": 0, "end": 90,
     "snippet": "Budget meeting notes.", "score": 0.0161},
]
TRACE = {"query": "budget 2024", "vector": [{"rank": 1, "similarity": 0.81}], "elapsed_ms": 42.5}
HOSTILE = ("# Not a heading\n\n[click](javascript:alert(1)) `code` <script>alert(1)</script> **bold** _em_ "
           "![img](x.png) | a | b |\n---\n> quote\n1. list &amp; <b>tag</b>")


@pytest.fixture
def store(data_dir):
    s = ConversationStore(layout.conversations_path(data_dir))
    yield s
    s.close()


def _chat(store, title=None):
    conv = store.create(title)
    q = store.add_message(conv.id, "user", "What was the budget for 2024?")
    a = store.add_message(conv.id, "assistant", "It was approved in March [1].", engine="ollama",
                          model="llama3.2:3b", citations=CITATIONS, trace=TRACE, status="complete")
    return conv, q, a


def test_round_trip_survives_reopen(data_dir, store):
    conv, q, a = _chat(store, "Budget")
    store.close()
    reopened = ConversationStore(layout.conversations_path(data_dir))
    try:
        got = reopened.get(conv.id)
        assert got.title == "Budget"
        assert got.messages == [q, a]
        assert got.messages[1].citations == CITATIONS and got.messages[1].trace == TRACE
        assert (got.messages[1].engine, got.messages[1].model) == ("ollama", "llama3.2:3b")
        assert got.messages[0].engine is None and got.messages[0].citations == []
    finally:
        reopened.close()
    assert layout.conversations_path(data_dir).parent == data_dir


def test_list_is_newest_first_with_message_counts(store):
    first, second, third = store.create("first"), store.create("second"), store.create("third")
    assert [s.title for s in store.list()] == ["third", "second", "first"]
    store.add_message(first.id, "user", "hello")
    store.add_message(first.id, "assistant", "hi")
    summaries = store.list()
    assert [s.id for s in summaries] == [first.id, third.id, second.id]
    assert [s.message_count for s in summaries] == [2, 0, 0]


def test_rename_and_delete(data_dir, store):
    conv, q, a = _chat(store)
    other = store.create("keep me")
    store.rename(conv.id, "Renamed")
    assert store.get(conv.id).title == "Renamed"
    assert store.delete_message(q.id) and not store.delete_message(q.id)
    assert [m.id for m in store.get(conv.id).messages] == [a.id]
    assert store.delete(conv.id) and store.get(conv.id) is None and not store.delete(conv.id)
    assert [s.id for s in store.list()] == [other.id]
    db = sqlite3.connect(layout.conversations_path(data_dir))
    assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0  # no orphans left behind
    db.close()
    with pytest.raises(KeyError):
        store.rename(conv.id, "gone")


def test_regenerate_replaces_the_answer_in_place(store):
    conv = store.create()
    ids = [store.add_message(conv.id, "user", "q1").id,
           store.add_message(conv.id, "assistant", "partial…", engine="ollama", model="m1",
                             status="interrupted").id,
           store.add_message(conv.id, "user", "q2").id,
           store.add_message(conv.id, "assistant", "a2", engine="ollama", model="m1").id]
    new_cites = CITATIONS[:1]
    updated = store.update_message(ids[1], content="A better answer [1].", status="complete",
                                   citations=new_cites, trace={"regenerated": True}, engine="embedded", model="m2")
    messages = store.get(conv.id).messages
    assert [m.id for m in messages] == ids
    assert messages[1] == updated
    assert (updated.content, updated.status, updated.engine, updated.model) == (
        "A better answer [1].", "complete", "embedded", "m2")
    assert updated.citations == new_cites and updated.trace == {"regenerated": True}
    assert messages[3].content == "a2"  # untouched
    kept = store.update_message(ids[3], status="stopped")
    assert (kept.content, kept.status, kept.model) == ("a2", "stopped", "m1")  # None leaves fields as they were
    with pytest.raises(KeyError):
        store.update_message("no-such-id", content="x")
    with pytest.raises(ValueError):
        store.update_message(ids[1], status="done")


def test_validation(store):
    conv = store.create()
    with pytest.raises(ValueError):
        store.add_message(conv.id, "system", "x")
    with pytest.raises(ValueError):
        store.add_message(conv.id, "assistant", "x", status="finished")
    with pytest.raises(ValueError):
        store.add_message(conv.id, "user", "x", citations=CITATIONS)
    with pytest.raises(KeyError):
        store.add_message("missing", "user", "x")
    assert store.get(conv.id).messages == []


def test_auto_title(store):
    question = "How did the regional sales figures for the northern districts change between 2022 and 2024?"
    conv = store.create()
    store.add_message(conv.id, "assistant", "Ask me anything.")
    store.add_message(conv.id, "user", "  " + question.replace(" the ", "\n the ", 1))
    title = store.auto_title(conv.id)
    assert len(title) <= 60 and title.endswith("…")
    assert question.startswith(title[:-1]) and question[len(title) - 1] == " "  # cut between words
    assert store.get(conv.id).title == title

    named = store.create("My title")
    store.add_message(named.id, "user", question)
    assert store.auto_title(named.id) == "My title"
    short = store.create()
    store.add_message(short.id, "user", "Budget?")
    assert store.auto_title(short.id) == "Budget?"
    assert short_title("x" * 100).endswith("…") and len(short_title("x" * 100)) == 60  # no space to cut at


def test_export_markdown_lists_sources_with_pages(store):
    conv, _, _ = _chat(store, "Budget questions")
    md = store.export_markdown(conv.id)
    assert md.startswith("# Budget questions\n")
    assert "What was the budget for 2024?" in md and "It was approved in March \\[1\\]." not in md
    assert "It was approved in March [1]." in md
    assert "ollama · llama3.2:3b" in md
    assert "- \\[1\\] /docs/report.pdf, p. 3 — Introduction" in md
    assert "- \\[2\\] /docs/notes.md\n" in md  # no page, no heading: nothing invented
    assert "> “The budget for 2024 was approved in March.”" in md
    assert md.index("### Question") < md.index("### Answer") < md.index("**Sources**")


def test_export_markdown_status_notes(store):
    conv = store.create()
    store.add_message(conv.id, "user", "q")
    store.add_message(conv.id, "assistant", "half an ans", engine="ollama", model="m", status="interrupted")
    store.add_message(conv.id, "assistant", "", engine="ollama", model="m", status="refused")
    md = store.export_markdown(conv.id)
    assert "connection to the model was lost" in md and "strict mode" in md


def test_hostile_document_text_cannot_break_the_markdown(store):
    markdown_it = pytest.importorskip("markdown_it")
    conv = store.create("# Title with <b>html</b> and [link](javascript:x)")
    store.add_message(conv.id, "user", "Is this `safe`? <i>x</i>")
    hostile_cites = [dict(CITATIONS[0], snippet=HOSTILE, heading="## <script>h</script>",
                          path="/docs/[x](javascript:y)_*.pdf")]
    answer = ("Here: <img src=x onerror=alert(1)> [link](javascript:alert(2))\n# Injected heading\n"
              "[1]: javascript:alert(3)\n```\nunclosed fence")
    store.add_message(conv.id, "assistant", answer, engine="ollama", model="m", citations=hostile_cites)
    md = store.export_markdown(conv.id)

    # Plain-text checks (independent of any parser): nothing active is left unescaped.
    assert not re.search(r"(?<!\\)\]\(", md)  # no unescaped "](" that could close a link text
    assert "<script" not in md and "<img" not in md and "<b>" not in md and "<i>" not in md
    snippet_line = next(line for line in md.splitlines() if line.startswith("  > “"))
    assert "\\# Not a heading" in snippet_line and "\\`code\\`" in snippet_line and "&lt;script&gt;" in snippet_line

    tokens = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(md)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert len(headings) == 3 and headings[1].startswith("Question") and headings[2].startswith("Answer")
    ours = ("*Exported from Archivist", "**Sources**")  # the export's own emphasis
    inline = [c for t in tokens if t.type == "inline" and not t.content.startswith(ours) for c in t.children]
    active = {"link_open", "image", "html_inline", "code_inline", "em_open", "strong_open", "s_open"}
    assert not [c for c in inline if c.type in active]
    assert not [t for t in tokens if t.type in ("html_block", "table_open")]
    html = markdown_it.MarkdownIt("commonmark").render(md)
    assert 'href="javascript' not in html and "<script" not in html and "<img" not in html
    # The unclosed fence was closed: the Sources list after it is still a list, not code.
    assert "<li>[1] /docs/[x](javascript:y)_*.pdf, p. 3" in html


def test_md_inline_escapes_line_starts():
    assert md_inline("- item") == "\\- item" and md_inline("1. first") == "1\\. first"
    assert md_inline("+ a\n\n# b") == "\\+ a \\# b"


def test_export_json_round_trips_citations_and_trace(store):
    conv, q, a = _chat(store, "Budget")
    data = store.export_json(conv.id)
    assert data["schema_version"] == 1 and data["id"] == conv.id and data["title"] == "Budget"
    assert json.loads(json.dumps(data)) == data
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
    assert data["messages"][1]["citations"] == CITATIONS and data["messages"][1]["trace"] == TRACE
    assert data["messages"][1]["engine"] == "ollama" and data["messages"][1]["status"] == "complete"

    copy = store.import_json(json.loads(json.dumps(data)))
    assert copy.id != conv.id
    again = store.export_json(copy.id)
    strip = ("id", "created_at", "updated_at")
    assert [{k: v for k, v in m.items() if k not in strip} for m in again["messages"]] == \
        [{k: v for k, v in m.items() if k not in strip} for m in data["messages"]]
    with pytest.raises(ValueError):
        store.import_json({**data, "schema_version": 99})


def test_non_utf8_paths_survive_storage_and_export(data_dir, store):
    odd = os.fsdecode(b"/docs/caf\xe9 \xff.pdf")
    assert "\udce9" in odd
    cites = [dict(CITATIONS[0], path=odd, heading=os.fsdecode(b"H\xe9ading"), snippet=os.fsdecode(b"x\xe9y"))]
    conv = store.create(os.fsdecode(b"Title \xe9"))
    store.add_message(conv.id, "user", f"What is in {odd}?")
    store.add_message(conv.id, "assistant", "See [1].", engine="embedded", model="m", citations=cites,
                      trace={"paths": [odd]})
    store.close()
    reopened = ConversationStore(layout.conversations_path(data_dir))
    try:
        got = reopened.get(conv.id)
        assert got.title == os.fsdecode(b"Title \xe9")
        assert got.messages[0].content == f"What is in {odd}?"
        assert got.messages[1].citations == cites and got.messages[1].trace == {"paths": [odd]}
        text = json.dumps(reopened.export_json(conv.id))
        assert json.loads(text)["messages"][1]["citations"][0]["path"] == odd
        md = reopened.export_markdown(conv.id)
        md.encode("utf-8")  # savable as UTF-8 …
        assert "/docs/caf\ufffd \ufffd.pdf, p. 3" in md  # … and the undecodable bytes are visible
    finally:
        reopened.close()


def test_concurrent_writers_lose_nothing(data_dir, store):
    convs = [store.create(f"c{i}") for i in range(2)]
    threads, per_thread, errors = 8, 25, []

    def write(t: int) -> None:
        try:
            for i in range(per_thread):
                store.add_message(convs[t % 2].id, "user", f"t{t}-{i}")
        except Exception as exc:  # surfaced below; a thread's exception would otherwise vanish
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    reopened = ConversationStore(layout.conversations_path(data_dir))
    try:
        for c, conv in enumerate(convs):
            contents = [m.content for m in reopened.get(conv.id).messages]
            mine = [t for t in range(threads) if t % 2 == c]
            assert sorted(contents) == sorted(f"t{t}-{i}" for t in mine for i in range(per_thread))
            for t in mine:  # each writer's messages in the order it wrote them
                assert [x for x in contents if x.startswith(f"t{t}-")] == [f"t{t}-{i}" for i in range(per_thread)]
        assert sum(s.message_count for s in reopened.list()) == threads * per_thread
    finally:
        reopened.close()


def test_citations_from_hits():
    hit = Hit(doc_id="d", path="/docs/a.pdf", kind="pdf", page=2, heading="H", start=5, end=50,
              text="word " * 100, score=0.03)
    cites = citations_from_hits([hit, hit], snippet_chars=20)
    assert [c["n"] for c in cites] == [1, 2]
    assert cites[0] == {"n": 1, "path": "/docs/a.pdf", "page": 2, "heading": "H", "start": 5, "end": 50,
                        "snippet": ("word " * 4), "score": 0.03}


def test_export_markdown_quotes_the_cited_sentences_when_the_answer_has_them(store):
    conv = store.create("Refunds")
    store.add_message(conv.id, "user", "How long is the refund window?")
    cited = dict(CITATIONS[0], sentences=[{"start": 10, "end": 48, "text": "Refunds are\npossible for 30 days."},
                                          {"start": 60, "end": 80, "text": "Ask the shop."}])
    store.add_message(conv.id, "assistant", "30 days [1].", citations=[cited])
    md = store.export_markdown(conv.id)
    assert "  > “Refunds are possible for 30 days.”\n  > “Ask the shop.”" in md
    assert CITATIONS[0]["snippet"] not in md


def test_questions_answered_from_the_documents_newest_first_once_each(store):
    conv = store.create()
    for question, status, citations, trace in [
            ("What was the budget for 2024?", "complete", CITATIONS, TRACE),
            ("Who approved it?", "refused", [], TRACE),  # not answered
            ("Summarize the report", "complete", CITATIONS, {"task": "summary"}),  # a summary, not a question
            ("Where is the plant?", "complete", CITATIONS, TRACE),
            ("What was the budget for 2024?", "complete", CITATIONS, TRACE),  # asked again
            ("What is the capital of France?", "complete", [], TRACE)]:  # answered without a source
        store.add_message(conv.id, "user", question)
        store.add_message(conv.id, "assistant", "…", citations=citations, trace=trace, status=status)
    store.add_message(conv.id, "user", "And the year before?")  # not answered yet
    assert store.answered_questions(10) == ["What was the budget for 2024?", "Where is the plant?"]
    assert store.answered_questions(1) == ["What was the budget for 2024?"]
