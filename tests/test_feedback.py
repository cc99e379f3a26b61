"""Feedback and the training export: real SQLite files, JSONL lines parsed back and checked exactly."""

from __future__ import annotations

import io
import json
import os

import pytest

from core import layout
from core.feedback import FeedbackLog, build_user_prompt

SYSTEM = "You answer only from the numbered sources. Cite them as [n]."
CONTEXT = "[1] /docs/report.pdf, p. 3 — Introduction\nThe budget for 2024 was approved in March."
CITES = [{"n": 1, "path": "/docs/report.pdf", "page": 3, "heading": "Introduction", "start": 0, "end": 40,
          "snippet": "The budget for 2024 was approved in March.", "score": 0.03}]


@pytest.fixture
def log(data_dir):
    f = FeedbackLog(layout.feedback_path(data_dir))
    yield f
    f.close()


def _rate(log, mid, rating, answer="It was approved in March [1].", question="When was the budget approved?",
          conv="c1", **kw):
    return log.rate(mid, conv, question, answer, rating, SYSTEM, CONTEXT, CITES, **kw)


def _lines(text: str) -> list[dict]:
    assert text.endswith("\n") or text == ""
    return [json.loads(line) for line in text.splitlines()]


def test_rate_get_and_reopen(data_dir, log):
    fb = _rate(log, "m1", 1)
    assert (fb.rating, fb.system_prompt, fb.context, fb.citations) == (1, SYSTEM, CONTEXT, CITES)
    assert fb.user_prompt == build_user_prompt(CONTEXT, "When was the budget approved?")
    assert fb.user_prompt.startswith(CONTEXT) and fb.user_prompt.endswith("When was the budget approved?")
    log.set_ideal("m1", "March 2024 [1].")
    log.close()
    reopened = FeedbackLog(layout.feedback_path(data_dir))
    try:
        got = reopened.get("m1")
        assert got.ideal_answer == "March 2024 [1]." and got.answer == "It was approved in March [1]."
        assert got.citations == CITES and got.conversation_id == "c1" and got.rating == 1
        assert reopened.get("nope") is None
    finally:
        reopened.close()


def test_validation(log):
    with pytest.raises(ValueError):
        _rate(log, "m1", 2)
    with pytest.raises(ValueError):
        log.rate("m1", "c1", "q", "a", 1, "  ", CONTEXT)  # no system prompt: the pair would not match serving
    with pytest.raises(KeyError):
        log.set_ideal("unrated", "ideal")  # nothing to attach it to: the prompt comes with the rating
    with pytest.raises(ValueError):
        log.export_training_jsonl(io.StringIO(), include="everything")
    assert log.list() == []


def test_rerating_keeps_the_ideal_and_empty_ideal_clears_it(log):
    _rate(log, "m1", -1)
    log.set_ideal("m1", "The right answer.")
    fb = _rate(log, "m1", 1, answer="Regenerated answer.")
    assert (fb.rating, fb.answer, fb.ideal_answer) == (1, "Regenerated answer.", "The right answer.")
    assert log.set_ideal("m1", "   ").ideal_answer is None
    assert len(log.list()) == 1


def test_list_filter_and_delete(log):
    _rate(log, "m1", 1)
    _rate(log, "m2", -1)
    _rate(log, "m3", 1, conv="c2")
    assert [f.message_id for f in log.list()] == ["m3", "m2", "m1"]
    assert [f.message_id for f in log.list(rating=1)] == ["m3", "m1"]
    assert [f.message_id for f in log.list(rating=-1)] == ["m2"]
    assert log.delete("m2") and not log.delete("m2")
    assert log.delete_conversation("c1") == 1
    assert [f.message_id for f in log.list()] == ["m3"]


def test_export_training_pairs_in_trl_prompt_completion_format(log, tmp_path):
    _rate(log, "good", 1, answer="Good answer [1].", question="Q good?")
    _rate(log, "bad", -1, answer="Wrong.", question="Q bad?")
    _rate(log, "fixed", -1, answer="Wrong again.", question="Q fixed?")
    log.set_ideal("fixed", "Corrected answer [1].")
    _rate(log, "bad2", -1, question="Q bad2?")
    _rate(log, "neutral", 0, question="Q neutral?")
    _rate(log, "given", 1, answer="Answer.", user_prompt="EXACT PROMPT AS SENT")

    out = tmp_path / "train.jsonl"
    counts = log.export_training_jsonl(out, include="approved", layout="prompt-completion")
    assert counts.written == 3
    assert counts.skipped == {"thumbs_down_without_ideal": 2, "unrated_without_ideal": 1}
    assert "3 written" in str(counts) and "2 thumbs down without ideal" in str(counts)

    records = _lines(out.read_text(encoding="utf-8"))
    assert records == [
        {"prompt": [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": build_user_prompt(CONTEXT, "Q good?")}],
         "completion": [{"role": "assistant", "content": "Good answer [1]."}]},
        {"prompt": [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": build_user_prompt(CONTEXT, "Q fixed?")}],
         "completion": [{"role": "assistant", "content": "Corrected answer [1]."}]},
        {"prompt": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "EXACT PROMPT AS SENT"}],
         "completion": [{"role": "assistant", "content": "Answer."}]},
    ]
    for r in records:  # every pair has an explicit, non-empty system message first
        assert list(r) == ["prompt", "completion"] and r["prompt"][0]["role"] == "system"
        assert r["prompt"][0]["content"].strip()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "train.jsonl"]  # no temporary file left


def test_export_all_for_inspection(log):
    _rate(log, "good", 1)
    _rate(log, "bad", -1, answer="Wrong.")
    _rate(log, "neutral", 0, answer="Meh.")
    log.set_ideal("neutral", "Better.")
    stream = io.StringIO()
    counts = log.export_training_jsonl(stream, include="all")
    assert (counts.written, counts.skipped) == (3, {})
    records = _lines(stream.getvalue())
    assert [r["message_id"] for r in records] == ["good", "bad", "neutral"]
    bad = records[1]
    assert bad["messages"] == [{"role": "system", "content": SYSTEM},
                               {"role": "user", "content": build_user_prompt(CONTEXT, "When was the budget approved?")},
                               {"role": "assistant", "content": "Wrong."}]
    assert (bad["rating"], bad["ideal_answer"], bad["conversation_id"]) == (-1, None, "c1")
    assert records[2]["ideal_answer"] == "Better." and records[2]["rating"] == 0
    # The unrated answer with a correction is a training pair in the approved export.
    approved = io.StringIO()
    assert log.export_training_jsonl(approved, layout="prompt-completion").written == 2
    assert _lines(approved.getvalue())[1]["completion"] == [{"role": "assistant", "content": "Better."}]


def test_export_keeps_non_ascii_and_undecodable_paths(log):
    odd = os.fsdecode(b"/docs/caf\xe9.pdf")
    log.rate("m1", "c1", "Où est le budget ?", "Ici [1].", 1, SYSTEM, f"[1] {odd}\nTexte", [dict(CITES[0], path=odd)])
    stream = io.StringIO()
    assert log.export_training_jsonl(stream, layout="prompt-completion").written == 1
    text = stream.getvalue()
    text.encode("utf-8")  # writable as UTF-8
    (record,) = _lines(text)
    assert odd in record["prompt"][1]["content"] and "Où est le budget ?" in record["prompt"][1]["content"]
    assert log.get("m1").citations[0]["path"] == odd


def test_export_of_an_empty_log(log, tmp_path):
    counts = log.export_training_jsonl(tmp_path / "empty.jsonl")
    assert (counts.written, counts.skipped) == (0, {})
    assert (tmp_path / "empty.jsonl").read_text() == ""


def test_default_export_is_chat_format_system_user_ideal_assistant(log):
    _rate(log, "fixed", -1, answer="Wrong.", question="Q fixed?")
    log.set_ideal("fixed", "Corrected [1].")
    stream = io.StringIO()
    assert log.export_training_jsonl(stream).written == 1
    (record,) = _lines(stream.getvalue())
    assert record == {"messages": [{"role": "system", "content": SYSTEM},
                                   {"role": "user", "content": build_user_prompt(CONTEXT, "Q fixed?")},
                                   {"role": "assistant", "content": "Corrected [1]."}]}
    with pytest.raises(ValueError, match="layout"):
        log.export_training_jsonl(io.StringIO(), layout="alpaca")
