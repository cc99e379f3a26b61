"""The claim checker: every number, date, amount, name and quote of an answer must be in its sources."""

import pytest

from core.answer.check import CheckResult, Evidence, check_answer, extract_claims

REFUND = "The refund window for Acme widgets is 30 days from delivery."
LAB = ("Dr. Ingrid Saelen approved the revised buffer recipe on 3 March 2023. The pump runs at 3,450 rpm. "
       "Tickets for the Lisbon workshop cost 28 euros. VAT is 7%. Part F-12 replaces P-17. Drying takes four hours.")


def flags(answer, *sources, given=""):
    result = check_answer(answer, Evidence(*sources), given)
    return [(c.kind, c.text, answer[c.start:c.end]) for c in result.flagged]


def test_an_invented_number_is_flagged_with_its_span():
    answer = "The refund window is 45 days from delivery [1]."
    result = check_answer(answer, Evidence(REFUND))
    assert result.checked == 1 and result.supported == 0
    [claim] = result.flagged
    assert (claim.kind, claim.text) == ("number", "45 days")
    assert answer[claim.start:claim.end] == "45 days" and claim.start == answer.index("45")


def test_a_correct_answer_has_no_flags_and_markers_are_not_claims():
    result = check_answer("The refund window is 30 days from delivery [1].", Evidence(REFUND))
    assert result == CheckResult(checked=1, supported=1, flagged=())
    assert [c.text for c in extract_claims("See [1], [2][3] and [1, 4].")] == []


@pytest.mark.parametrize("answer", [
    "It was approved on March 3, 2023 [1].",
    "It was approved on 2023-03-03 [1].",
    "It was approved on 3 March 2023 [1].",
    "It was approved in March 2023 [1].",
    "The pump runs at 3450 rpm [1].",
    "Tickets cost €28 [1].",
    "VAT is 7 percent [1].",
    "Drying takes 4 hours [1].",
    "Part F12 replaces part P-17 [1].",
    "It was approved by Dr. Ingrid Saelen [1].",
    "The workshop is in \"Lisbon\" and it costs 28 EUR [1].",
])
def test_the_same_fact_written_differently_is_supported(answer):
    assert flags(answer, LAB) == []


@pytest.mark.parametrize("answer, flagged", [
    ("It was approved on 4 March 2023 [1].", ("date", "4 March 2023")),
    ("It was approved on 2022-03-03 [1].", ("date", "2022-03-03")),
    ("Tickets cost €35 [1].", ("amount", "€35")),
    ("Tickets cost 180 pounds [1].", ("amount", "180 pounds")),
    ("VAT is 9% [1].", ("percent", "9%")),
    ("Drying takes five hours [1].", ("number", "five hours")),
    ("Part F-13 replaces P-17 [1].", ("identifier", "F-13")),
    ("The recipe was approved in Ostrava [1].", ("name", "Ostrava")),
    ("The recipe is called \"blue buffer\" [1].", ("quote", "\"blue buffer\"")),
])
def test_a_fact_not_in_the_sources_is_flagged(answer, flagged):
    assert [f[:2] for f in flags(answer, LAB)] == [flagged]


def test_number_words_and_digits_match_both_ways():
    assert flags("Drying takes four hours.", "Drying takes 4 hours.") == []
    assert flags("It lasts 30 days.", "It lasts thirty days.") == []
    assert flags("It costs 1.5 million euros.", "The cost was 1,500,000 euros.") == []


def test_names_at_sentence_start_common_words_and_the_question_are_not_claims():
    answer = "Saelen approved it. According to the handbook, Acme pays.\n- Note: Returns go to Brno."
    claims = [c.text for c in extract_claims(answer, given="Who did Acme pay?")]
    assert claims == ["Brno"]  # "Saelen" starts a sentence, "Acme" was in the question


def test_what_the_question_already_states_is_not_checked():
    answer = "After 45 days the refund window for Acme widgets has closed; it is 30 days [1]."
    assert flags(answer, REFUND, given="What happens after 45 days?") == []


def test_page_and_source_references_are_not_claims():
    assert extract_claims("Source 2 says so on page 14 (p. 3) [2].") == []


def test_list_numbers_are_not_claims_but_values_in_the_items_are():
    answer = "1. The window is 30 days.\n2. Invoices go to Globex for 1,250 euros."
    assert [c.text for c in extract_claims(answer)] == ["30 days", "Globex", "1,250 euros"]
    assert flags(answer, REFUND, "Invoice INV-2024-0042 was issued to Globex Corporation for 1250 euros.") == []


def test_a_quote_must_be_word_for_word_but_not_punctuation_for_punctuation():
    assert flags("The handbook says “30 days from delivery” [1].", REFUND) == []
    assert flags("The handbook says “thirty days after purchase” [1].", REFUND)[0][0] == "quote"


@pytest.mark.parametrize("answer", ["Ella is picked up at 1:30 pm on Fridays.", "Pick-up is at 1.30 p.m.",
                                    "She is collected at 13:30.", "Collect her at 1:30."])
def test_a_time_of_day_written_another_way_is_supported(answer):
    result = check_answer(answer, Evidence("On Fridays Ella is picked up at 13:30."))
    assert result.flagged == () and "time" in {c.kind for c in extract_claims(answer)}


@pytest.mark.parametrize("answer, flagged", [("Ella is picked up at 2:30 pm.", "2:30 pm"),
                                             ("Pick-up is at 13:45.", "13:45"), ("Collect her at 1 am.", "1 am")])
def test_another_time_of_day_is_flagged(answer, flagged):
    assert [c.text for c in check_answer(answer, Evidence("On Fridays Ella is picked up at 13:30.")).flagged] \
        == [flagged]


def test_a_weekday_written_out_is_supported_by_its_abbreviation():
    evidence = Evidence("Sat 12 Jul | SP 217 | Lisbon | Ponta Delgada | 09:40 | 11:05")
    assert check_answer("The plane takes off at 09:40 on Saturday, July 12.", evidence).flagged == ()
    assert [c.text for c in check_answer("The plane takes off at 09:40 on Sunday.", evidence).flagged] == ["Sunday"]
