"""Scores a person can read: which search found a passage and how strongly."""

import pytest

from core.match_strength import describe_match, match_strength


@pytest.mark.parametrize("similarity, text_rank, described", [
    (0.72, 1, "strong match (meaning 89/100, exact words)"),
    (0.40, 2, "good match (meaning 43/100, exact words)"),
    (0.30, None, "weak match (meaning 29/100)"),
    (0.05, None, "barely related (meaning 0/100)"),
    (None, 2, "good match (exact words only)"),
    (None, 12, "weak match (exact words only)"),
])
def test_similarity_and_text_rank_become_words(similarity, text_rank, described):
    assert match_strength(similarity, text_rank).describe() == described


def test_a_full_text_match_lifts_a_borderline_passage():
    assert match_strength(0.36, None).label == "good match"
    assert match_strength(0.30, 4).label == "good match"


def test_stored_citations_without_similarities_say_nothing():
    assert describe_match({"n": 1, "score": 0.03}) == ""
    assert describe_match({"similarity": 0.5, "text_rank": None}).startswith("good match")
