"""The int8 text recogniser (core/parsing/ocr/quantized.py): made once from RapidOCR's bundled model
into the data folder, reused, made again when damaged, and never the reason OCR is missing."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.layout import ocr_models_dir
from core.parsing import parse_file
from core.parsing.ocr import quantized
from core.parsing.ocr.cache import cache_in
from core.parsing.ocr.engine import Line, OcrResult, engine
from core.parsing.ocr.options import OcrOptions
from core.parsing.ocr.orient import result_id
from core.parsing.ocr.pixels import pixels_hash
from core.parsing.ocr.rapid import RapidEngine
from core.parsing.ocr.run import read_pixels
from scans import cer, mixed_pdf, scan

CARD = (420, 298)
LINE = "Offline reading works."
PAGE = "\n\n".join([
    "The harbour master retires in May. His successor, Ana Pereira, starts on the first of June and will "
    "oversee the new container terminal, which opens in 2027 after four years of building work.",
    "Invoice 2024-117 for 1,250.00 euros was paid on 30 June. The remaining balance of 312.40 euros is due "
    "by the end of September; late payments carry interest at 4.5 per cent a year.",
    "El señor Muñoz pagó la factura número 2024-118 en junio. ¿Quién firmará el contrato de arrendamiento "
    "del almacén del puerto? La reunión será el martes a las diez de la mañana.",
    "Minutes of the board meeting: the committee approved the budget, postponed the vote on the new dock "
    "cranes, and asked the treasurer for a report on fuel costs before the next meeting in October.",
])


def read_line(reader) -> str:
    return " ".join(line.text for line in reader.read(scan(LINE, size=CARD)))


def int8_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*.{quantized.TAG}.onnx"))


def test_the_int8_recogniser_is_made_once_then_reused(tmp_path):
    import rapidocr

    bundled = Path(rapidocr.__file__).parent / "models"
    untouched = (bundled.stat().st_mtime_ns, sorted(p.name for p in bundled.iterdir()))
    folder = tmp_path / "data" / "models" / "ocr"
    before = quantized.BUILDS
    first = RapidEngine(models_dir=folder, int8=True)
    # nothing written, even for a moment, beside RapidOCR's models (an install may be read-only)
    assert (bundled.stat().st_mtime_ns, sorted(p.name for p in bundled.iterdir())) == untouched
    assert " rec-int8" in first.id and quantized.BUILDS == before + 1
    [model] = int8_files(folder)
    made = model.stat().st_mtime_ns
    again = RapidEngine(models_dir=folder, int8=True)  # another worker process, or the app restarted
    assert again.id == first.id and quantized.BUILDS == before + 1
    assert model.stat().st_mtime_ns == made and int8_files(folder) == [model]
    assert read_line(again) == LINE
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]  # nothing half-written left


def test_the_model_is_named_by_its_source_and_onnxruntime(tmp_path):
    import onnxruntime

    source = tmp_path / "rec.onnx"
    source.write_bytes(b"one model")
    other = tmp_path / "rec2.onnx"
    other.write_bytes(b"another model")
    name = quantized.int8_path(source, tmp_path).name
    assert f"ort{onnxruntime.__version__}" in name
    assert quantized.int8_path(other, tmp_path).name.split(".")[1] != name.split(".")[1]  # a RapidOCR upgrade


def _build(source: str, folder: str) -> str:
    path = quantized.recogniser(Path(source), Path(folder))
    return f"{path.name} {quantized.sha256(path)}"


def test_workers_making_the_model_at_once_leave_one_sound_file(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import rapidocr

    source = Path(rapidocr.__file__).parent / "models" / "PP-OCRv6_rec_small.onnx"
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        made = list(pool.map(_build, [str(source)] * 2, [str(tmp_path)] * 2))
    [model] = int8_files(tmp_path)
    assert made == [f"{model.name} {quantized.sha256(model)}"] * 2
    assert model.with_name(model.name + ".sha256").read_text() == quantized.sha256(model)
    assert sorted(p.name for p in tmp_path.iterdir()) == [model.name, model.name + ".sha256"]


@pytest.mark.parametrize("damage", ["truncated", "emptied", "check removed"])
def test_a_damaged_model_is_made_again(tmp_path, damage):
    folder = tmp_path / "ocr"
    RapidEngine(models_dir=folder, int8=True)
    [model] = int8_files(folder)
    if damage == "truncated":  # a crash mid-copy, a disk error
        model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    elif damage == "emptied":
        model.write_bytes(b"")
    else:
        model.with_name(model.name + ".sha256").unlink()
    before = quantized.BUILDS
    reader = RapidEngine(models_dir=folder, int8=True)
    assert quantized.BUILDS == before + 1 and " rec-int8" in reader.id
    assert quantized.sha256(model) == model.with_name(model.name + ".sha256").read_text().strip()
    assert read_line(reader) == LINE


def test_staging_files_a_crashed_build_left_are_swept(tmp_path):
    import os

    old = tmp_path / ".PP-OCRv6_rec_small.1234.abcd.src.tmp"
    fresh = tmp_path / ".PP-OCRv6_rec_small.onnx.5678.ef01.tmp"  # another worker building right now
    for path in (old, fresh):
        path.write_bytes(b"partial")
    os.utime(old, (1, 1))
    RapidEngine(models_dir=tmp_path, int8=True)
    assert not old.exists() and fresh.exists()


def test_if_quantisation_fails_ocr_runs_with_the_fp32_recogniser(tmp_path, monkeypatch, caplog):
    def fail(source, out):
        raise RuntimeError("no room to quantise")

    monkeypatch.setattr(quantized, "_quantise", fail)
    with caplog.at_level(logging.WARNING):
        reader = RapidEngine(models_dir=tmp_path / "ocr", int8=True)
    assert "rec-int8" not in reader.id and "no room to quantise" in caplog.text
    assert read_line(reader) == LINE
    assert not int8_files(tmp_path / "ocr")


def test_a_model_onnx_runtime_cannot_load_falls_back_to_fp32(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(quantized, "_quantise", lambda source, out: out.write_bytes(b"not a model"))
    with caplog.at_level(logging.WARNING):
        reader = RapidEngine(models_dir=tmp_path / "ocr", int8=True)
    assert "rec-int8" not in reader.id and "int8 text recogniser is not available" in caplog.text
    assert read_line(reader) == LINE


def test_a_300_dpi_scan_is_read_with_the_int8_recogniser_within_the_target(tmp_path):
    """The app's path: a scanned PDF page, the model made in the data folder (not the user's)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    pdf = mixed_pdf(docs / "scan.pdf", [scan(PAGE, dpi=300)], dpi=300)
    data = tmp_path / "data"
    doc = parse_file(str(pdf), ocr=OcrOptions(data_dir=str(data), owner="content-1"))
    text = " ".join(s.text for s in doc.sections)
    assert cer(PAGE, text) <= 0.03, text
    assert " rec-int8" in engine("rapidocr", str(data)).id
    assert int8_files(ocr_models_dir(data)) and sorted(p.name for p in docs.iterdir()) == ["scan.pdf"]


def test_pages_read_by_the_fp32_recogniser_before_are_not_read_again(tmp_path, monkeypatch):
    data = str(tmp_path / "data")
    reader = engine("rapidocr", data)
    assert " rec-int8" in reader.id
    rgb = scan(LINE, size=CARD)
    fp32_id = result_id(reader).replace(" rec-int8", "").replace(" ink", "")  # as the app read before
    kept = OcrResult(rgb.shape[1], rgb.shape[0], 0, (Line(LINE, (0.1, 0.1, 0.9, 0.2), 0.99),), fp32_id)
    cache_in(data).put(pixels_hash(rgb), kept, "content-1")
    calls = []
    monkeypatch.setattr(reader, "read", lambda image: calls.append(1) or [])
    assert read_pixels(rgb, OcrOptions(data_dir=data, owner="content-1")) == kept and not calls
