"""OCR for pages without a text layer: scanned PDF pages and images.

    pixels.py   what is read: a PDF page rendered, or an image's frame, within a pixel budget
    engine.py   the engine interface (pixels → lines of words with boxes and confidence) and the choice
    rapid.py    RapidOCR (PP-OCR models in ONNX, shipped in its wheel): the default
    quantized.py  its recogniser with int8 MatMuls, made once into the data folder (faster, as accurate)
    tesseract.py  Tesseract through MuPDF, where its language data is installed
    orient.py   pages scanned sideways or upside down are turned until they read
    reading.py  reading order, lines and paragraphs from the boxes: the page's text and each character's box
    cache.py    results by (image hash, engine), so no page is read twice
    run.py      the above in one call, as the parsers and the preview use it

Boxes are kept as fractions of the image (x0, y0, x1, y1), so they map onto a page of any size.
"""

from .options import OcrOptions, as_options

__all__ = ["OcrOptions", "as_options"]
