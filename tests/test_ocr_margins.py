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
