"""A failing full-text search is said, not swallowed: the answer goes on from meaning alone and the
trace says exact words were not searched (issue 9, item 8). Real index; only the full-text call fails."""

from helpers import write

FACT = "The refund window for Acme widgets is 30 days from delivery."


def test_a_full_text_failure_is_in_the_trace_and_meaning_still_answers(docs, make_archivist, monkeypatch):
    write(docs / "refunds.md", f"# Refunds\n\n{FACT}\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    assert "text_search_error" not in archivist.search("refund window Acme", k=3).trace

    table = archivist.store.table
    real_search = table.search

    def failing(query=None, query_type="auto", **kwargs):
        if query_type == "fts":
            raise RuntimeError("LanceError(Index): the full-text index is damaged")
        return real_search(query, query_type=query_type, **kwargs)

    monkeypatch.setattr(table, "search", failing)
    result = archivist.search("refund window Acme", k=3)
    assert result.hits and FACT in result.hits[0].text  # found by meaning
    assert "full-text search failed" in result.trace["text_search_error"]
    assert "index is damaged" in result.trace["text_search_error"]


def test_an_empty_index_has_nothing_to_report(make_archivist):
    assert "text_search_error" not in make_archivist().search("anything", k=3).trace

