"""A narrowed search in words (core/scope_summary.py): what the question box, "Why these sources?"
and a refusal say about the scope, from fresh filters or from a trace read back from the history."""

from __future__ import annotations

import json
from datetime import date, datetime

from core.scope_summary import from_trace, summary
from core.search import Filters


def test_the_summary_says_what_was_searched_in_the_words_a_user_reads():
    assert summary(Filters()) == ""
    assert summary(Filters(sender="anna", recipient="bo", after=date(2024, 3, 1), before=date(2024, 3, 31))) == (
        "Mail from anna to bo · since 1 Mar 2024 · until 31 Mar 2024")
    assert summary(Filters(after=date(2024, 12, 9))) == "Mail · since 9 Dec 2024"
    assert summary(Filters(before=datetime(2024, 3, 1, 14, 5))) == "Mail · until 1 Mar 2024 14:05 UTC"
    assert summary(Filters(kinds=("pdf", "sheet", "docx", "image"))) == (
        "PDF, Spreadsheets, Word documents, Images and scans")
    assert summary(Filters(kinds=("mail",))) == "Mail"
    # Mail filters pass mail only: the types beside them would promise more than is searched.
    assert summary(Filters(kinds=("mail", "pdf"), sender="anna")) == "Mail from anna"
    assert summary(Filters(kinds=("odd",))) == "odd"  # a kind without a name keeps its own
    narrowed = Filters(folder="/home/u/Projects/", path="/home/u/Projects/plan.pdf")
    assert summary(narrowed) == "in Projects · in plan.pdf"
    assert summary(narrowed, full_paths=True) == "in /home/u/Projects/ · in /home/u/Projects/plan.pdf"


def test_the_filters_of_a_saved_trace_read_back_as_they_were():
    for filters in (Filters(folder="/d", kinds=("mail", "pdf"), sender="anna", after=date(2024, 3, 1),
                            before=datetime(2024, 3, 31, 18, 0)), Filters()):
        recorded = {k: v for k, v in filters.__dict__.items() if v}  # as core/search.py traces them
        assert from_trace(json.loads(json.dumps(recorded, default=str))) == filters  # as the history keeps them
        assert from_trace(recorded) == filters
    assert from_trace(None) == Filters()
    assert from_trace({"sender": "anna", "after": "not a date"}) == Filters(sender="anna")
