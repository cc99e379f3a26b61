"""OCR out of the box: generated scans (pymupdf renders known text at 150 and 300 dpi, turned,
skewed and noisy) read by the bundled engine, in mixed PDFs and as photos, cached, and found by a
real search on the right page."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image

from core.parsing import ParseError, parse_file
from core.parsing.ocr import pixels as ocr_pixels
from core.parsing.ocr.cache import FILE_NAME, OcrCache, cache_in
from core.parsing.ocr.engine import Line, OcrResult, Word, engine
from core.parsing.ocr.options import OcrOptions
from core.parsing.ocr.orient import to_original, turned
from core.parsing.ocr.reading import arrange
from core.parsing.ocr.run import read_pixels, read_text
from scans import cer, mixed_pdf, save_image, scan

EN = ("The harbour master retires in May. His successor, Ana Pereira, starts on the first of June "
      "and will oversee the new container terminal, which opens in 2027.")
ES = "El señor Muñoz pagó la factura número 2024-117 en junio. ¿Quién firmará el contrato de arrendamiento?"
CARD = (420, 298)  # a small page (A6 landscape, in points): fast to read, room for a paragraph


def flat(text: str) -> str:
    return " ".join(text.split())


def small_scan(text: str, **kw) -> np.ndarray:
    return scan(text, size=CARD, **kw)


# -- the engine on generated scans -----------------------------------------------------------------

@pytest.mark.parametrize("text,dpi,limit", [(EN, 300, 0.03), (EN, 150, 0.08), (ES, 300, 0.03), (ES, 150, 0.08)])
def test_clean_scans_read_within_the_target_error_rates(text, dpi, limit):
    reading = read_text(small_scan(text, dpi=dpi), OcrOptions())
    assert cer(text, reading.text) <= limit, reading.text


def test_a_noisy_skewed_scan_still_reads():
    reading = read_text(small_scan(EN, dpi=200, skew=1.5, noise=25, seed=3), OcrOptions())
    assert cer(EN, reading.text) <= 0.08, reading.text


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_turned_pages_read_upright_and_boxes_land_on_the_words(turn):
    upright = small_scan(EN, dpi=200)
    result = read_pixels(turned(upright, turn), OcrOptions())
    assert result.rotation == (360 - turn) % 360  # the page was turned back to read it
    reading = arrange(result)
    assert cer(EN, reading.text) <= 0.05, reading.text

    # The word's box, drawn as a mask on the upright page and turned like the scan, is where the
    # reading of the turned scan says the word is.
    at = arrange(read_pixels(upright, OcrOptions()))
    expected = _turned_box(_word_box(at, "Pereira"), upright.shape, turn)
    assert _overlap(_word_box(reading, "Pereira"), expected) > 0.6


def _word_box(reading, word: str):
    i = reading.text.index(word)
    boxes = [b for b in reading.boxes[i:i + len(word)] if b]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _turned_box(box, shape, turn):
    height, width = shape[:2]
    mask = np.zeros((height, width), bool)
    mask[int(box[1] * height):int(box[3] * height), int(box[0] * width):int(box[2] * width)] = True
    mask = np.rot90(mask, k=-(turn // 90) % 4)
    ys, xs = np.nonzero(mask)
    return xs.min() / mask.shape[1], ys.min() / mask.shape[0], (xs.max() + 1) / mask.shape[1], (ys.max() + 1) / mask.shape[0]


def _overlap(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_boxes_map_back_onto_the_image_as_given(degrees):
    image = np.zeros((40, 100), np.uint8)
    image[5:9, 70:80] = 1  # a mark near the top right
    upright = turned(image[:, :, None], degrees)[:, :, 0]
    ys, xs = np.nonzero(upright)
    h, w = upright.shape
    box = to_original((xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h), degrees)
    assert np.allclose(box, (0.70, 5 / 40, 0.80, 9 / 40))


# -- reading order ---------------------------------------------------------------------------------

def _line(text: str, x0: float, y0: float, x1: float, height: float = 20) -> Line:
    return Line(text, (x0 / 1000, y0 / 1000, x1 / 1000, (y0 + height) / 1000), 0.99)


def test_prose_columns_are_read_one_after_the_other_and_gaps_make_paragraphs():
    title = _line("Annual report of the harbour", 100, 50, 900)
    left = [_line(f"left column line {i} with several words", 100, 120 + 25 * i, 480) for i in range(4)]
    right = [_line(f"right column line {i} with several words", 520, 120 + 25 * i, 900) for i in range(4)]
    after = _line("A closing paragraph that spans the page width", 100, 300, 900)
    result = OcrResult(1000, 1000, 0, tuple([after, *right, title, *left]))
    text = arrange(result).text
    assert text.split("\n\n") == [
        "Annual report of the harbour",
        "\n".join(f"left column line {i} with several words" for i in range(4)),
        "\n".join(f"right column line {i} with several words" for i in range(4)),
        "A closing paragraph that spans the page width",
    ]


def test_items_and_prices_side_by_side_are_read_row_by_row():
    rows = [("Coffee beans 1 kg", "12.90"), ("Oat milk", "2.45"), ("Total", "15.35")]
    lines = [_line(item, 100, 100 + 25 * i, 400) for i, (item, _) in enumerate(rows)]
    lines += [_line(price, 800, 101 + 25 * i, 880) for i, (_, price) in enumerate(rows)]
    text = arrange(OcrResult(1000, 1000, 0, tuple(lines))).text
    assert text == "Coffee beans 1 kg 12.90\nOat milk 2.45\nTotal 15.35"


def test_every_character_has_its_word_box_and_separators_none():
    line = Line("Total 15.35", (0.1, 0.1, 0.5, 0.15), 0.9, (Word("Total", (0.1, 0.1, 0.25, 0.15)),
                                                              Word("15.35", (0.3, 0.1, 0.5, 0.15))))
    reading = arrange(OcrResult(1000, 1000, 0, (line,)))
    assert reading.text == "Total 15.35" and reading.boxes[5] is None
    assert reading.boxes[0][0] == pytest.approx(0.1) and reading.boxes[4][2] == pytest.approx(0.25)
    assert reading.boxes[6][0] == pytest.approx(0.3) and reading.boxes[10][2] == pytest.approx(0.5)


# -- documents: scanned PDF pages and images --------------------------------------------------------

def test_a_mixed_pdf_keeps_its_text_layer_and_reads_its_scanned_page(tmp_path):
    typed = "This page was typed: the warehouse in Leeds closes at six."
    path = mixed_pdf(tmp_path / "mixed.pdf", [typed, small_scan(EN, dpi=150)], dpi=150)
    doc = parse_file(str(path))
    assert doc.ocr_pages == (2,) and doc.needs_ocr_pages == ()
    assert [s.page for s in doc.sections] == [1, 2]
    assert doc.sections[0].text == typed  # the text layer, untouched by OCR
    assert "Ana Pereira" in flat(doc.sections[1].text)
    with pymupdf.open(path) as pdf:
        assert pdf[1].get_text().strip() == ""  # page 2 really is a picture


@pytest.mark.parametrize("name,options", [("photo.png", {}), ("photo.jpg", {"quality": 80}),
                                          ("photo.webp", {"quality": 85})])
def test_photos_are_documents_of_kind_image_without_pages(tmp_path, name, options):
    path = save_image(small_scan(ES, dpi=200, noise=10), tmp_path / name, **options)
    doc = parse_file(str(path))
    assert (doc.kind, doc.page_count, [s.page for s in doc.sections]) == ("image", None, [None])
    assert cer(ES, doc.sections[0].text) <= 0.05


def test_a_tiff_frames_are_its_pages(tmp_path):
    path = save_image([small_scan("Page one of the fax."), small_scan("Page two names the Lisbon office.")],
                      tmp_path / "fax.tiff", compression="tiff_deflate")
    doc = parse_file(str(path))
    assert doc.page_count == 2 and [s.page for s in doc.sections] == [1, 2]
    assert "Lisbon" in doc.sections[1].text and "one" in doc.sections[0].text


def test_a_photo_taken_sideways_is_read_by_its_exif_orientation(tmp_path):
    upright = small_scan(EN, dpi=200)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "receipt.jpg"
    Image.fromarray(turned(upright, 270)).save(path, quality=90, exif=exif)  # stored on its side
    assert ocr_pixels.frame_pixels(ocr_pixels.open_image(str(path))).shape == upright.shape
    assert "Ana Pereira" in flat(parse_file(str(path)).sections[0].text)


def test_an_image_without_text_says_so(tmp_path):
    rng = np.random.default_rng(0)
    sky = np.clip(rng.normal(150, 5, (300, 400, 3)), 0, 255).astype(np.uint8)  # a plain photo
    path = save_image(sky, tmp_path / "sky.png")
    with pytest.raises(ParseError) as caught:
        parse_file(str(path))
    assert (caught.value.status, caught.value.reason) == ("skipped", "no text found in image")


def test_a_damaged_image_is_a_clear_failure(tmp_path):
    data = (save_image(small_scan("x"), tmp_path / "ok.png")).read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:200])
    with pytest.raises(ParseError) as caught:
        parse_file(str(tmp_path / "cut.png"))
    assert caught.value.status == "failed" and caught.value.reason.startswith("unreadable image")


def test_a_huge_photo_is_scaled_down_to_the_pixel_budget(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (8000, 6000), "white").save(path, quality=50)
    with ocr_pixels.open_image(str(path)) as image:
        rgb = ocr_pixels.frame_pixels(image)
    assert rgb.shape[0] * rgb.shape[1] <= ocr_pixels.MAX_PIXELS
    assert abs(rgb.shape[1] / rgb.shape[0] - 8000 / 6000) < 0.01


def test_images_with_text_off_need_ocr(tmp_path):
    path = save_image(small_scan("Some words"), tmp_path / "note.png")
    with pytest.raises(ParseError) as caught:
        parse_file(str(path), ocr=False)
    assert caught.value.reason == "no text layer (OCR needed)"


# -- the cache ---------------------------------------------------------------------------------------

def test_a_page_is_read_once_then_comes_from_the_cache(tmp_path, monkeypatch):
    reader = engine("rapidocr", str(tmp_path / "data"))  # the engine that keeps its models there
    calls = []
    real_read = reader.read
    monkeypatch.setattr(reader, "read", lambda rgb: calls.append(rgb.shape) or real_read(rgb))
    pdf = mixed_pdf(tmp_path / "scan.pdf", [small_scan(EN, dpi=150)], dpi=150)
    options = OcrOptions(data_dir=str(tmp_path / "data"), owner="content-1")
    first = parse_file(str(pdf), ocr=options)
    assert len(calls) == 1 and (tmp_path / "data" / FILE_NAME).is_file()
    again = parse_file(str(pdf), ocr=options)  # re-indexing, or the same page in another index
    assert len(calls) == 1 and again.sections == first.sections

    monkeypatch.setattr(reader, "id", reader.id + " (another version)")  # an engine update reads anew
    parse_file(str(pdf), ocr=options)
    assert len(calls) == 2


def test_the_cache_forgets_what_no_file_holds_once_unused_for_long(tmp_path):
    cache = OcrCache(tmp_path / FILE_NAME)
    result = OcrResult(10, 10, 0, (Line("word", (0, 0, 1, 1), 1.0),), "engine 1")
    for image, owner in (("old-kept", "doc-a"), ("old-gone", "doc-b"), ("old-preview", None), ("new", "doc-b")):
        cache.put(image, result, owner)
    cache._db.execute("UPDATE pages SET used_at = ? WHERE image LIKE 'old-%'", (time.time() - 40 * 86400,))
    assert cache.prune(30 * 86400, keep_owners={"doc-a"}) == 2
    assert [cache.get(i, "engine 1") is not None for i in ("old-kept", "old-gone", "old-preview", "new")] == [
        True, False, False, True]
    assert cache.prune_due(86400) and not cache.prune_due(86400)


def test_rapidocr_runs_from_its_wheel_without_downloading(monkeypatch, tmp_path):
    import requests
    import rapidocr

    from core.parsing.ocr.rapid import RapidEngine

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access: {args}")

    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(requests.Session, "request", refuse)
    models = Path(rapidocr.__file__).parent / "models"
    before = {p.name: p.stat().st_mtime_ns for p in models.iterdir()}
    lines = RapidEngine().read(small_scan("Offline reading works."))
    assert " ".join(line.text for line in lines) == "Offline reading works."
    assert {p.name: p.stat().st_mtime_ns for p in models.iterdir()} == before  # nothing fetched or rewritten


# -- a time budget per task: a long scan never reaches the parser's timeout --------------------------

def test_a_window_of_scanned_pages_stops_when_its_time_is_spent(tmp_path):
    pdf = mixed_pdf(tmp_path / "scan.pdf", [small_scan(f"Page {n} of the scan.") for n in (1, 2, 3)], dpi=150)
    doc = parse_file(str(pdf), page_range=(1, 3), time_budget_s=0)
    assert doc.next_page == 2 and [s.page for s in doc.sections] == [1]
    rest = parse_file(str(pdf), page_range=(2, 3))
    assert rest.next_page is None and [s.page for s in rest.sections] == [2, 3]


def test_scanned_pages_beyond_one_tasks_budget_are_read_in_several_tasks(tmp_path):
    import threading

    from core.parsing import ParserPool
    from core.parsing.slices import BUDGET_SHARE, parse_in_slices

    class ShortTimeout:
        """The real pool (a generous timeout), said to time out at 2 s: each task gets 1 s."""

        timeout_s = 2

        def __init__(self, pool):
            self.pool, self.asked = pool, []

        def submit(self, path, **kwargs):
            self.asked.append((kwargs["page_range"], kwargs["time_budget_s"]))
            return self.pool.submit(path, **kwargs)

    pages = [small_scan(f"Scanned page number {n} of the long report.") for n in range(1, 7)]
    pdf = mixed_pdf(tmp_path / "long.pdf", pages, dpi=150)
    with ParserPool(timeout_s=300) as pool:
        windows = ShortTimeout(pool)
        doc = parse_in_slices(windows, str(pdf), threading.Event(), ocr=OcrOptions(data_dir=str(tmp_path / "data")))
    assert [s.page for s in doc.sections] == list(range(1, 7)), doc.warnings
    assert all(f"number {n} of" in flat(s.text) for n, s in enumerate(doc.sections, 1))
    assert len(windows.asked) > 1 and {budget for _, budget in windows.asked} == {2 * BUDGET_SHARE}
    starts = [first for (first, _), _ in windows.asked]
    assert starts[0] == 1 and starts == sorted(set(starts))  # each task goes on where the last one stopped


def test_the_data_folder_holds_the_cache_for_every_process(tmp_path):
    assert cache_in(None) is None
    assert cache_in(str(tmp_path)) is cache_in(str(tmp_path)) and os.path.isfile(tmp_path / FILE_NAME)


# -- end to end: a real sync, a real search ------------------------------------------------------------

TYPED = "The first page is typed. It lists the opening hours of the Lisbon warehouse and nothing else."
PHOTO = ("Receipt 2024-117 from the Porto bakery. Two loaves of rye bread cost nine euros in total. "
         "Paid by card on the third of March.")


def test_values_on_a_scanned_page_and_in_a_photo_are_found_and_cited_there(docs, make_archivist, data_dir):
    from core.locator import place
    from core.parsing.ocr import cache as ocr_cache

    letter = mixed_pdf(docs / "letter.pdf", [TYPED, small_scan(EN, dpi=150)], dpi=150)
    photo = save_image(small_scan(PHOTO, dpi=200, noise=8), docs / "receipt.jpg", quality=85)
    archivist = make_archivist()
    archivist.add_source(docs)
    assert archivist.sync().failed == 0
    record = archivist.manifest.get(str(letter))
    assert (record.status, record.reason) == ("indexed", "text of page 2 read by OCR")
    record = archivist.manifest.get(str(photo))
    assert (record.status, record.kind, record.reason) == ("indexed", "image", "text read by OCR")

    hit = archivist.search("Who succeeds the harbour master?").hits[0]
    assert (hit.path, hit.page, hit.kind) == (str(letter), 2, "pdf") and "Pereira" in hit.text
    hit = archivist.search("What did the rye bread cost at the Porto bakery?").hits[0]
    assert (hit.path, hit.page, hit.kind) == (str(photo), None, "image") and "2024-117" in hit.text
    assert place(hit.kind, hit.page) == "" and place("image", 2) == "p. 2"  # a TIFF's frame reads as a page

    # Read again (new passages cut from the same files): the text comes from the OCR cache. Marked
    # there, the cached reading shows up in the index: the pages were not read by OCR again.
    cache = ocr_cache.OcrCache(data_dir / ocr_cache.FILE_NAME)
    rows = cache._db.execute("SELECT image, engine, result FROM pages").fetchall()
    assert len(rows) == 2
    for image, engine_id, blob in rows:
        marked = ocr_cache.decode(blob, engine_id)
        lines = tuple(Line(line.text.replace("Pereira", "Pereyra"), line.box, line.confidence, line.words)
                      for line in marked.lines)
        cache.put(image, OcrResult(marked.width, marked.height, marked.rotation, lines, engine_id))
    assert archivist.index.rechunk(archivist.settings) == 2
    assert archivist.sync().failed == 0
    assert "Pereyra" in archivist.search("Who succeeds the harbour master?").hits[0].text


def test_images_skipped_as_unsupported_before_are_read_now(docs, make_archivist, data_dir):
    photo = save_image(small_scan(PHOTO, dpi=200), docs / "receipt.png")
    before = make_archivist(extensions=[".md"])  # as a version that did not read images recorded it
    before.add_source(docs)
    before.sync()
    assert before.manifest.get(str(photo)).reason == "unsupported file type (.png)"
    before.close()
    now = make_archivist()
    assert now.sync().failed == 0
    assert now.manifest.get(str(photo)).status == "indexed"


def test_scans_left_needing_ocr_are_read_once_ocr_is_there(docs, make_archivist, data_dir):
    letter = mixed_pdf(docs / "scan.pdf", [small_scan(EN, dpi=150)], dpi=150)
    before = make_archivist(ocr=False)  # as before OCR came with Archivist: no Tesseract, no OCR
    before.add_source(docs)
    before.sync()
    assert before.manifest.get(str(letter)).status == "needs_ocr"
    before.manifest.set_meta("ocr_reader", "0")
    before.close()
    now = make_archivist()
    assert now.sync().failed == 0  # no retry asked for
    assert now.manifest.get(str(letter)).status == "indexed"
