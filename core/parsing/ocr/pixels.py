"""What OCR reads: a page rendered, or an image's frame, as RGB pixels within a budget.

The budget keeps a page's OCR within a few seconds and the worker's memory: an A4 page renders
at about 170 dpi within it, enough for body text (bench/ocr.py measured the error rate against
the time), and a 48-megapixel photo is scaled down before it is read. The parser and the preview
both get their pixels here, so the same page gives the same pixels, hence the same cache key.
"""

from __future__ import annotations

import hashlib
import math
from typing import BinaryIO

import numpy as np
import pymupdf
from PIL import Image, ImageOps

MAX_PIXELS = 3_000_000  # what OCR reads of one page (A4 at ~170 dpi)
MAX_DPI = 300  # a small page (a receipt, a label) is not rendered finer than this
MIN_DPI = 30
# An image is decoded whole before it is scaled down (except JPEG, which decodes at a fraction):
# beyond this it is refused rather than risk the worker's memory cap (600 MB of RGB).
MAX_IMAGE_PIXELS = 200_000_000
Image.MAX_IMAGE_PIXELS = None  # checked here instead, with a reason a user can act on


class ImageTooLarge(ValueError):
    pass


def page_pixels(page: pymupdf.Page) -> np.ndarray:
    """The page as shown (its rotation applied), rendered within the budget."""
    rect = page.rect
    area_in = max(rect.width * rect.height / 72 / 72, 1e-6)
    dpi = max(MIN_DPI, min(MAX_DPI, math.sqrt(MAX_PIXELS / area_in)))
    pix = page.get_pixmap(matrix=pymupdf.Matrix(dpi / 72, dpi / 72), colorspace=pymupdf.csRGB, alpha=False)
    return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, : pix.width * 3].reshape(
        pix.height, pix.width, 3).copy()


def open_image(source: str | BinaryIO) -> Image.Image:
    """Opens the image without decoding it; raises ImageTooLarge, or PIL's errors for a bad file."""
    image = Image.open(source)
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise ImageTooLarge(f"image too large to read ({image.width}×{image.height} pixels)")
    return image


def frame_count(image: Image.Image) -> int:
    """Pages of a TIFF (a fax, a scanner's multi-page file); any other image is one page (the
    frames of an animation are not pages)."""
    return max(1, getattr(image, "n_frames", 1)) if image.format == "TIFF" else 1


def frame_pixels(image: Image.Image, index: int = 0) -> np.ndarray:
    """Frame ``index`` (0-based) upright (EXIF orientation applied), on white, within the budget."""
    if index:
        image.seek(index)
    scale = math.sqrt(MAX_PIXELS / max(image.width * image.height, 1))
    if scale < 1 and image.format == "JPEG":
        image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    frame = ImageOps.exif_transpose(image) or image  # a copy: the next seek still works on ``image``
    frame = _eight_bit(frame)  # a bilevel fax stays one byte a pixel until it is scaled down
    if frame.width * frame.height > MAX_PIXELS:
        frame.thumbnail(_within_budget(frame.width, frame.height), Image.Resampling.LANCZOS)
    return np.asarray(frame.convert("RGB"), dtype=np.uint8).copy()


def _within_budget(width: int, height: int) -> tuple[int, int]:
    scale = math.sqrt(MAX_PIXELS / (width * height))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _eight_bit(image: Image.Image) -> Image.Image:
    """Grey ("L") or colour ("RGB") at 8 bits, transparent parts on white."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit and float scans: stretch to 8 bits
        values = np.asarray(image, dtype=np.float32)
        low, high = float(values.min()), float(values.max())
        values = (values - low) * (255.0 / (high - low)) if high > low else np.full_like(values, 255.0)
        return Image.fromarray(values.astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")  # transparent text backgrounds read as white paper, not black
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode in ("1", "L"):
        return image.convert("L")
    return image.convert("RGB")


def pixels_hash(rgb: np.ndarray) -> str:
    """What the cache keys a page by: the pixels OCR reads, and their shape."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(rgb.shape).encode())
    digest.update(np.ascontiguousarray(rgb).data)
    return digest.hexdigest()
