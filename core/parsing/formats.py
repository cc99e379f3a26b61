"""Which file extensions Archivist indexes, and as what kind.

Data only, so callers (settings, CLI flags, tests) can pass their own mapping to ``parse_file``
and to the folder scanner. Keys are lower-case suffixes *with* the dot, as ``Path.suffix`` gives
them. The extension only picks the parser for text formats: binary formats are recognised by
their magic bytes whatever they are called (see ``sniff.py``).
"""

from __future__ import annotations

from types import MappingProxyType

# Formats MuPDF extracts real text from (CBZ/images are left out: they have no text layer).
PYMUPDF_KINDS = frozenset({"pdf", "epub", "xps", "fb2", "mobi"})
# Which version of its reader each kind's text came from (1 when not listed). Bump a kind when its
# text comes out differently (better), so files indexed by the older reader are read again once:
# an index must not keep old text until each file happens to change.
#   2: typographic ligatures ("ﬁ", "ﬀ") are expanded, so "final office" matches (pdf.py)
#   text 2: .csv/.tsv files, once read as plain text, are read as spreadsheets (kind "sheet")
#   docx, slides, odt 2: the text OCR reads in their pictures is indexed (pictures.py); a file
#     without pictures comes out the same, its passages' vectors from the embedding cache
#   mail 2: each message's envelope (sender, recipients, date) is kept for search filters, and
#           headers sent in raw UTF-8 are read as UTF-8
#   docx 3, slides 3: a chart gives its data (a row per category, each series' value), not only its title
#   docx 4, slides 4: SmartArt gives its nodes' text (diagram_text.py); an ODP chart its data
#   odt 3: a chart gives its data (odf_chart.py)
#   sheet 2: .ods cells follow their number formats ("1,250.50", "30 June 2024"), as .xlsx cells do
READER_VERSIONS: MappingProxyType[str, int] = MappingProxyType(
    {**{kind: 2 for kind in PYMUPDF_KINDS}, "text": 2, "docx": 4, "slides": 4, "odt": 3, "mail": 2, "sheet": 2})
# The same for OCR: files left "needs OCR" (pages no OCR read) are read again once when it improves.
#   1: OCR out of the box (RapidOCR, core/parsing/ocr/); before, only with Tesseract installed
OCR_READER_VERSION = 1
# Formats decoded as text by ``text.py`` / ``html_text.py``.
TEXT_KINDS = frozenset({"markdown", "text", "rst", "html", "code"})

# fmt: off
_CODE_EXTENSIONS = (
    ".py", ".pyi", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".java", ".c", ".h", ".cc",
    ".cpp", ".cxx", ".hpp", ".hh", ".cs", ".go", ".rs", ".rb", ".php", ".sh", ".bash", ".zsh",
    ".fish", ".ps1", ".bat", ".sql", ".css", ".scss", ".less", ".json", ".jsonl", ".yaml",
    ".yml", ".toml", ".ini", ".cfg", ".conf", ".kt", ".kts", ".swift", ".scala", ".lua", ".r",
    ".jl", ".pl", ".pm", ".m", ".mm", ".dart", ".ex", ".exs", ".erl", ".hs", ".ml", ".clj",
    ".groovy", ".gradle", ".vue", ".svelte", ".xml", ".proto", ".graphql", ".tf", ".nix",
    ".cmake", ".mk", ".tex", ".bib",
)
# fmt: on

SUPPORTED_EXTENSIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        ".pdf": "pdf",
        ".epub": "epub",
        ".xps": "xps",
        ".oxps": "xps",
        ".fb2": "fb2",
        ".mobi": "mobi",
        ".docx": "docx",
        ".pptx": "slides",
        ".pptm": "slides",
        ".ppsx": "slides",
        ".potx": "slides",
        ".odp": "slides",
        ".otp": "slides",
        ".odt": "odt",
        ".ott": "odt",
        ".rtf": "rtf",
        # Office 97–2003: not read, but looked at, to say how to make them readable (legacy.py).
        **{ext: "legacy_office" for ext in (".doc", ".dot", ".ppt", ".pps", ".pot")},
        ".eml": "mail",
        ".mbox": "mail",
        ".msg": "mail",
        ".md": "markdown",
        ".markdown": "markdown",
        ".mdown": "markdown",
        ".mkd": "markdown",
        ".txt": "text",
        ".text": "text",
        ".log": "text",
        # Spreadsheets: rows as passages that keep their column headers (sheets.py).
        ".xlsx": "sheet",
        ".xlsm": "sheet",
        ".xls": "sheet",
        ".ods": "sheet",
        ".csv": "sheet",
        ".tsv": "sheet",
        ".rst": "rst",
        ".html": "html",
        ".htm": "html",
        ".xhtml": "html",
        # Images: their text is read by OCR (image.py); a TIFF's frames are pages.
        **{ext: "image" for ext in (".png", ".jpg", ".jpeg", ".jfif", ".tif", ".tiff", ".webp")},
        # Gzip: only a compressed *text* file (notes.md.gz) is indexed, see parse.py.
        ".gz": "gzip",
        **{ext: "code" for ext in _CODE_EXTENSIONS},
    }
)
