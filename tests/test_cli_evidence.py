"""What the command line prints under an answer: sentences word for word, match strength, the check."""

from core.answer.citations import resolve
from core.answer.pipeline import Answered
from core.answer.support import ground
from core.cli_evidence import chat_evidence_lines, evidence_json, print_answer_sources
from test_answer_support import SOURCES


def answered(text):
    citations, _ = resolve(text, SOURCES)
    citations, check = ground(text, SOURCES, citations)
    return Answered(text, citations, "complete", "ollama", "tiny", check=check)


def test_sources_are_listed_with_their_sentence_match_and_the_claims_not_found(capsys):
    print_answer_sources(answered("The refund window is 45 days from delivery in Brno [1]."), SOURCES)
    out = capsys.readouterr().out
    assert "[1] /docs/file1.pdf (p. 2) · strong match (meaning 71/100, exact words)" in out
    assert "      “The refund window for Acme widgets is 30 days from delivery.”" in out
    assert "Not in your sources: 45 days, Brno (2 of 2 facts checked)" in out
    assert "score" not in out


def test_citations_matched_by_wording_say_so(capsys):
    done = answered("Acme widgets can be refunded for 30 days from delivery.")
    print_answer_sources(done, SOURCES)
    out = capsys.readouterr().out
    assert "Sources (the answer names none; matched by wording):" in out and "· matched by wording" in out
    assert "The fact checked is in the sources." in out
    assert chat_evidence_lines(done)[:2] == [
        "    [1] “The refund window for Acme widgets is 30 days from delivery.”",
        "  (the answer names no source; matched by wording)"]


def test_json_evidence_has_each_sentence_with_offsets():
    [evidence] = evidence_json(answered("It is 30 days [1]."))
    [sentence] = evidence["sentences"]
    assert (evidence["n"], evidence["page"], evidence["inferred"]) == (1, 2, False)
    assert sentence["text"].startswith("The refund window") and sentence["end"] - sentence["start"] == len(sentence["text"])
