"""Mark, in a rendered answer, the claims its sources do not contain (core/answer/check.py).

The answer is Markdown rendered without raw HTML (desktop/chat_markdown.py), so nothing is
inserted into its text: each flagged claim is found again in the rendered document and gets a
character format on top, a wavy underline with a tooltip. The claim's span counts characters of
the Markdown, not of the document, so it is found as "the same text, the same occurrence".
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextDocument

NOT_IN_SOURCES = "Not in your sources"
MARK_COLOUR = QColor("#d13438")  # red that reads on light and dark bases
KIND_WORDS = {"number": "number", "date": "date", "amount": "amount", "percent": "percentage",
              "identifier": "identifier", "name": "name", "quote": "quotation", "time": "time"}


def flagged_claims(check: dict | None) -> list[dict]:
    """The flagged claims of a stored check (``trace["check"]``); [] for answers saved before checks."""
    return [c for c in (check or {}).get("flagged") or () if c.get("text")]


def mark_unsupported(document: QTextDocument, answer: str, flagged: list[dict]) -> int:
    """Underline each flagged claim where it appears in ``document``; returns how many were found."""
    marked = 0
    for claim in flagged:
        text = claim["text"]
        occurrence = answer.count(text, 0, max(0, int(claim.get("start", 0))))
        cursor = _find(document, text, occurrence)
        if cursor is None:
            continue  # Markdown changed the text (e.g. emphasis inside the claim): leave it unmarked
        cursor.mergeCharFormat(_mark_format(claim))
        marked += 1
    return marked


def is_marked(char_format: QTextCharFormat) -> bool:
    return char_format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline


def _find(document: QTextDocument, text: str, occurrence: int) -> QTextCursor | None:
    cursor = QTextCursor(document)
    for _ in range(occurrence + 1):
        cursor = document.find(text, cursor, QTextDocument.FindFlag.FindCaseSensitively)
        if cursor.isNull():
            return None
    return cursor


def _mark_format(claim: dict) -> QTextCharFormat:
    char_format = QTextCharFormat()
    char_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
    char_format.setUnderlineColor(MARK_COLOUR)
    kind = KIND_WORDS.get(claim.get("kind", ""), "claim")
    char_format.setToolTip(f"{NOT_IN_SOURCES}: this {kind} appears in none of the passages the answer "
                           "was written from. Check it before relying on it.")
    return char_format
