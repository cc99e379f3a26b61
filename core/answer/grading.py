"""Grading an answer against a known answer, as the QA benches grade them (bench/answer_quality.py)
and as a house style is compared with the plain model (core/style/compare.py): one matcher, so a
style's figures and the answers issue's figures mean the same thing."""

from __future__ import annotations

import re
from pathlib import Path

from core.answer.values import find_dates


def normalise(text: str) -> str:
    """Case, thousands separators, dashes and apostrophes do not matter: "3,450" == "3 450" == "3450"."""
    text = re.sub(r"(?<=\d)[, ](?=\d{3}\b)", "", text.lower())
    text = re.sub(r"[,\-\u2013\u2014]", "", text).replace("'", " ").replace("\u2019", " ")
    return " ".join(text.split())


def contains_answer(answer: str, accepted: tuple[str, ...]) -> bool:
    """A whole-token match: "21" is not found in "2023-06-22 12:00" nor "21.5". An accepted date
    matches the same date written another way ("15 July" = "July 15th")."""
    text = normalise(answer)
    if any(re.search(rf"(?<![\w.]){re.escape(normalise(a))}(?!\w|\.\d)", text) for a in accepted):
        return True
    written = {(d.month, d.day, d.year) for match in find_dates(answer) for d in match.readings}
    for form in accepted:
        dates = find_dates(form)
        if len(dates) == 1 and dates[0].end - dates[0].start == len(form.strip()):
            if any((d.month, d.day) == (m, day) and (d.year is None or d.year == year)
                   for d in dates[0].readings for m, day, year in written):
                return True
    return False


def same_file(path: str, expected: str) -> bool:
    """``path`` (as a citation gives it) is the file ``expected`` names: the same absolute path, or,
    for a relative ``expected`` ("policies/travel.pdf"), a path ending in those components."""
    wanted = Path(expected)
    if wanted.is_absolute():
        return Path(path).resolve() == wanted.resolve()
    parts = wanted.parts
    return Path(path).parts[-len(parts):] == parts if parts else False
