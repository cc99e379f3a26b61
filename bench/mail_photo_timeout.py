"""Photos attached to the messages of one mailbox against the parser's task timeout, beside the same
photos as the pages of one PDF: a PDF is read in windows with a time budget (core/parsing/slices.py),
a mailbox in one task whose attachments share one budget (core/parsing/mail_attachments.py): OCR
stops when it is spent and a Retry reads on, what was read coming from the OCR cache. Each pass
over the mailbox (the first, then Retry after Retry until every photo is read) prints its time
and the photos read and left.

    python bench/mail_photo_timeout.py [--photos 10] [--timeout 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import pymupdf

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "tests")]
from fixtures import mail_files as mf  # noqa: E402
from mixed_fixtures import jpeg_bytes, photo_pixels  # noqa: E402

from core.parsing.model import ParseError  # noqa: E402
from core.parsing.ocr.options import OcrOptions  # noqa: E402
from core.parsing.pool import ParserPool  # noqa: E402
from core.parsing.slices import parse_in_slices  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=10, help="the parser's task timeout (the app's: 120 s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="archivist-mail-photos-") as folder:
        compare(Path(folder), args.photos, args.timeout)


def compare(folder: Path, count: int, timeout: float) -> None:
    photos = [jpeg_bytes(photo_pixels(f"Receipt {i}. Taxi to the airport, total paid {10 + i}.50 euros.", seed=i))
              for i in range(count)]
    messages = []
    for i, photo in enumerate(photos):
        message = mf.message(f"Receipt {i}", "The photo is attached.", day=1 + i % 28)
        message.add_attachment(photo, maintype="image", subtype="jpeg", filename=f"receipt-{i}.jpg")
        messages.append(message)
    mf.write_mbox(folder / "receipts.mbox", messages)
    with pymupdf.open() as doc:
        for photo in photos:
            page = doc.new_page(width=460, height=330)
            page.insert_image(page.rect, stream=photo)
        doc.save(str(folder / "receipts.pdf"))
    with ParserPool(timeout_s=timeout) as pool:
        read(pool, folder / "receipts.pdf", OcrOptions(data_dir=str(folder / "pdf-data")), "")
        options = OcrOptions(data_dir=str(folder / "mail-data"))  # its own OCR cache, as in the app
        for attempt in range(1, count + 2):
            label = "first pass" if attempt == 1 else f"Retry {attempt - 1}"
            doc = read(pool, folder / "receipts.mbox", options, label)
            if doc is None or not doc.needs_ocr_pictures:
                break


def read(pool: ParserPool, path: Path, options: OcrOptions, label: str):
    started = time.perf_counter()
    try:
        doc = parse_in_slices(pool, str(path), threading.Event(), ocr=options)
        outcome = f"read, {len(doc.sections)} sections"
        if doc.kind == "mail":
            outcome += f", {doc.ocr_pictures} photos read by OCR, {doc.needs_ocr_pictures} left"
    except ParseError as exc:
        doc, outcome = None, f"{exc.status}: {exc.reason}"
    print(f"{path.name}{' ' + label if label else ''}: {outcome} ({time.perf_counter() - started:.1f} s)", flush=True)
    return doc


if __name__ == "__main__":
    main()
