"""What the "Why these sources?" dialog says about a search that could not use exact words."""


def test_the_window_says_when_exact_words_were_not_searched():
    from desktop.trace_dialog import TraceDialog

    summary = TraceDialog._summary({"query": "refund window", "timings": {"total_ms": 12},
                                    "text_search_error": "full-text search failed, searched by meaning only: x"})
    assert "searched by meaning only" in summary
