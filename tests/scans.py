"""Scans made from known text, for the OCR tests and bench/ocr.py: a page of text rendered by
MuPDF at a scanner's resolution, optionally turned, skewed and noisy, then put in a PDF as an
image-only page or saved as a photo."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

A4 = (595, 842)  # points


def text_page(doc: pymupdf.Document, text: str, fontsize: float = 11, size=A4) -> pymupdf.Page:
    """A page of ``text`` (paragraphs separated by blank lines) in Helvetica, or raise if it does not fit."""
    page = doc.new_page(width=size[0], height=size[1])
    rect = pymupdf.Rect(72, 72, size[0] - 72, size[1] - 72)
    if page.insert_textbox(rect, text, fontsize=fontsize, fontname="helv") < 0:
        raise ValueError("text does not fit on one page")
    return page


def scan(text: str, dpi: int = 300, turn: int = 0, skew: float = 0.0, noise: float = 0.0, seed: int = 0,
         fontsize: float = 11, size=A4) -> np.ndarray:
    """RGB pixels of a page of ``text`` scanned at ``dpi``, turned ``turn`` degrees clockwise (a
    multiple of 90), skewed ``skew`` degrees, with Gaussian noise of ``noise`` (std, 0-255 scale)
    and a scanner's slight blur when noisy."""
    with pymupdf.open() as doc:
        pix = text_page(doc, text, fontsize, size).get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        gray = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width).astype(np.float32)
    image = Image.fromarray(gray.astype(np.uint8), "L")
    if skew:
        image = image.rotate(skew, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    gray = np.asarray(image, np.float32)
    if noise:
        rng = np.random.default_rng(seed)
        gray = (gray + np.roll(gray, 1, axis=0) + np.roll(gray, 1, axis=1)) / 3  # a little blur
        gray = gray + rng.normal(0, noise, gray.shape)
    rgb = np.repeat(np.clip(gray, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    return np.ascontiguousarray(np.rot90(rgb, k=-(turn // 90) % 4))


def add_scan_page(doc: pymupdf.Document, rgb: np.ndarray, dpi: int) -> pymupdf.Page:
    """An image-only page (no text layer), sized as the paper was."""
    height, width = rgb.shape[:2]
    page = doc.new_page(width=width * 72 / dpi, height=height * 72 / dpi)
    page.insert_image(page.rect, stream=png_bytes(rgb))
    return page


def png_bytes(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG")
    return out.getvalue()


def save_image(rgb: np.ndarray, path: Path, **save_args) -> Path:
    """PNG, JPEG, WebP or TIFF by the suffix (a list of arrays makes a multi-page TIFF)."""
    frames = rgb if isinstance(rgb, list) else [rgb]
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=len(images) > 1, append_images=images[1:], **save_args)
    return path


def mixed_pdf(path: Path, pages: list[str | np.ndarray], dpi: int = 150) -> Path:
    """A PDF whose ``str`` pages have a text layer and whose array pages are scans."""
    with pymupdf.open() as doc:
        for page in pages:
            if isinstance(page, str):
                text_page(doc, page)
            else:
                add_scan_page(doc, page, dpi)
        doc.save(str(path))
    return path


def cer(reference: str, read: str) -> float:
    """Character error rate: edit distance over the reference's length, whitespace runs as one space."""
    ref, hyp = " ".join(reference.split()), " ".join(read.split())
    if not ref:
        return float(bool(hyp))
    return edit_distance(ref, hyp) / len(ref)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time (insertions as a running minimum)."""
    if not b:
        return len(a)
    codes_b = np.frombuffer(b.encode("utf-32-le"), np.uint32)
    steps = np.arange(len(b) + 1)
    previous = steps.copy()
    for i, char in enumerate(a, 1):
        substitute = previous[:-1] + (codes_b != ord(char))
        best = np.empty_like(previous)
        best[0] = i
        best[1:] = np.minimum(previous[1:] + 1, substitute)
        previous = np.minimum.accumulate(best - steps) + steps  # then insertions along the row
    return int(previous[-1])
