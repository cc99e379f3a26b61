"""RapidOCR reads only the part of a page that has ink, at the scale the whole page would be read at:
margins cost detection time and hold no text. The boxes still land on the words of the page as given,
and the text is the same as read with the margins. Real RapidOCR on generated scans."""

from __future__ import annotations

import numpy as np
import pytest

from core.parsing.ocr.rapid import RapidEngine, ink_area
from scans import A4, cer, scan

LETTER = ("The harbour master retires in May. His successor, Ana Pereira, starts on the first of June "
          "and will oversee the new container terminal, which opens in 2027.")


def test_the_inked_part_is_found_with_a_margin_and_specks_of_noise_do_not_widen_it():
    page = np.full((1000, 800, 3), 255, np.uint8)
    page[300:340, 200:600] = 0  # a line of print
    top, bottom, left, right = ink_area(page)
    assert 270 <= top < 300 and 340 < bottom <= 370 and 170 <= left < 200 and 600 < right <= 630
    page[5, 5] = page[990, 790] = 0  # scanner specks, one pixel each
    assert ink_area(page) == (top, bottom, left, right)
    page[300:340, 641:643] = 0  # a thin stroke beyond the line (a "1", an "l"), between sampled columns
    assert ink_area(page)[3] > 643  # before: missed, and the cut went through it
    assert ink_area(np.full((1000, 800, 3), 255, np.uint8)) is None  # blank: nothing to read anyway
    page[20:980, 20:780] = 0
    assert ink_area(page) is None  # ink nearly edge to edge: nothing saved by cutting


@pytest.fixture(scope="module")
def engines():
    return RapidEngine(crop=True), RapidEngine(crop=False)


def _box_of(lines, word: str):
    return next(w.box for line in lines for w in line.words if word in w.text)


def test_a_page_with_margins_reads_alike_with_the_boxes_on_the_page_as_given(engines):
    page = scan(LETTER, dpi=150, size=A4)
    cropped, whole = (engine.read(page) for engine in engines)
    text_cropped, text_whole = (" ".join(line.text for line in lines) for lines in (cropped, whole))
    assert cer(LETTER, text_cropped) <= 0.03 and cer(text_whole, text_cropped) <= 0.01
    assert ink_area(page) is not None  # this page was cut down
    # Boxes are in the page's pixels, not the cut-out's: the same word lies in the same place.
    a, b = _box_of(cropped, "Pereira"), _box_of(whole, "Pereira")
    assert max(abs(p - q) for p, q in zip(a, b)) <= 6, (a, b)


def test_a_cut_out_of_one_wide_line_keeps_paper_around_it_rather_than_black_bands():
    page = np.full((400, 900, 3), 255, np.uint8)
    page[190:210, 40:860] = 0  # one long line of print
    top, bottom, left, right = ink_area(page)
    assert (right - left) / (bottom - top) <= 8 and 0 <= top < 190 and 210 < bottom <= 400


CARD = "Board 4 lists the route to harbour number 4."


def test_a_card_with_one_line_of_print_reads_alike_cut_out_or_whole(engines):
    # Before: the thin "4." at the line's end was missed by the ink search and cut off.
    card = scan(CARD, dpi=150, size=(420, 200))
    cropped, whole = (" ".join(line.text for line in engine.read(card)) for engine in engines)
    assert cer(CARD, whole) <= 0.05 and cer(CARD, cropped) <= 0.05, (cropped, whole)
