"""Cited sentences: which sentences of a cited passage the answer rests on, with offsets to highlight."""

from core.answer.citations import resolve
from core.answer.prompt import NumberedSource
from core.answer.support import answer_parts, ground
from core.search import Hit

HANDBOOK = ("Refunds\nCustomers may return goods in their original packaging. The refund window for Acme "
            "widgets is 30 days from delivery. Shipping costs are not refunded.")
FINANCE = ("Invoices are sent monthly. Invoice INV-2024-0042 was issued to Globex Corporation for 1,250 euros. "
           "Payment is due within 14 days.")


def source(n, text, page=None, start=100):
    return NumberedSource(n, Hit(doc_id=f"d{n}", path=f"/docs/file{n}.pdf", kind="pdf", page=page, heading="",
                                 start=start, end=start + len(text), text=text, score=0.03, vector_rank=1,
                                 similarity=0.6, text_rank=2))


SOURCES = [source(1, HANDBOOK, page=2, start=100), source(2, FINANCE, start=0)]


def grounded(answer, given=""):
    citations, _ = resolve(answer, SOURCES)
    return ground(answer, SOURCES, citations, given)


def test_a_citation_carries_the_sentence_holding_the_answers_value_with_absolute_offsets():
    citations, check = grounded("The refund window is 30 days from delivery [1].")
    [citation] = citations
    [sentence] = citation.sentences
    assert sentence.text == "The refund window for Acme widgets is 30 days from delivery."
    assert HANDBOOK[sentence.start - 100:sentence.end - 100] == sentence.text
    assert not citation.inferred and check.checked == 1 and check.flagged == ()


def test_without_markers_each_sentence_is_matched_to_the_best_source_sentence():
    citations, check = grounded("Acme widgets can be refunded for 30 days from delivery. "
                                "Invoice INV-2024-0042 went to Globex Corporation.")
    assert [(c.n, c.inferred) for c in citations] == [(1, True), (2, True)]
    assert citations[0].sentences[0].text.startswith("The refund window")
    assert citations[1].sentences[0].text.startswith("Invoice INV-2024-0042")
    assert check.flagged == ()


def test_a_value_from_an_uncited_source_is_supported_and_that_source_added_as_matched():
    citations, check = grounded("The refund window is 30 days [1]; payment is due within 14 days.")
    assert [(c.n, c.inferred) for c in citations] == [(1, False), (2, True)]
    assert citations[1].sentences[0].text == "Payment is due within 14 days."
    assert check.flagged == ()


def test_an_invented_value_is_flagged_and_the_cited_sentence_still_shown():
    answer = "The refund window is 45 days from delivery [1]."
    citations, check = grounded(answer)
    assert [c.text for c in check.flagged] == ["45 days"]
    assert citations[0].sentences[0].text.startswith("The refund window")


def test_a_marker_after_the_full_stop_belongs_to_the_sentence_before():
    parts = answer_parts("It is 30 days. [1] Invoices go out monthly [2].")
    assert [p.cited for p in parts] == [(1,), (2,)]
