"""Recognise whole-document requests ("summarize report.pdf", "compare a.pdf and b.docx") in a
question, so they read every passage of the named files instead of the top-k retrieved ones."""

from __future__ import annotations

import os
import re

_VERB = re.compile(r"^\s*(please\s+)?(summari[sz]e|sum up|give (me )?(a |an )?(summary|overview) of|"
                   r"compare|contrast|what('s| is| are) the differences? between)\b", re.IGNORECASE)


def whole_document_request(question: str, indexed_paths: list[str]) -> list[str]:
    """The indexed files a summarize/compare question names (by file name, with or without its
    extension), in the order named; [] when the question is not such a request or names none."""
    if not _VERB.search(question):
        return []
    text = question.lower()
    found: list[tuple[int, str]] = []
    for path in indexed_paths:
        name = os.path.basename(path).lower()
        stem = os.path.splitext(name)[0]
        for candidate in (name, stem):
            if len(candidate) < 3:
                continue
            match = re.search(r"(?<![\w.])" + re.escape(candidate) + r"(?![\w])", text)
            if match:
                found.append((match.start(), path))
                break
    found.sort()
    ordered = [path for _, path in found]
    return ordered if len(set(map(os.path.basename, ordered))) == len(ordered) else []  # ambiguous names


def files_to_read_whole(archivist, question: str) -> list[str]:
    """``whole_document_request`` against the index; the file list is read only for questions
    that ask for a summary or a comparison, not for every question."""
    if not _VERB.search(question):
        return []
    return whole_document_request(question, [r.path for r in archivist.files(status="indexed")])
