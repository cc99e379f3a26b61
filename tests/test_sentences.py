"""Sentence spans: the unit of evidence, highlighting and claim checking."""

from core.answer.sentences import split_sentences


def sentences(text):
    return [span.of(text) for span in split_sentences(text)]


def test_wrapped_pdf_lines_stay_one_sentence_and_abbreviations_do_not_cut():
    text = ("Dr. Ingrid Saelen approved the revised buffer recipe on 3 March 2023. The pH of the wash\n"
            "buffer must stay between 7.2 and 7.4. See e.g. section 4.")
    assert sentences(text) == [
        "Dr. Ingrid Saelen approved the revised buffer recipe on 3 March 2023.",
        "The pH of the wash\nbuffer must stay between 7.2 and 7.4.",
        "See e.g. section 4.",
    ]


def test_headings_list_items_and_paragraphs_stand_alone():
    text = "Refunds\nReturns are accepted for 30 days.\n- item one\n- item two\n\nLast paragraph"
    assert sentences(text) == ["Refunds", "Returns are accepted for 30 days.", "- item one", "- item two",
                               "Last paragraph"]


def test_offsets_point_into_the_original_text():
    text = "  First one.   Second one!  "
    spans = split_sentences(text)
    assert [(s.start, s.end) for s in spans] == [(2, 12), (15, 26)]
