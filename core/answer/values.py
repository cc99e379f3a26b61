"""Numbers and dates as values: one canonical key however they are written.

"3,450" and "3450", "7.20" and "7.2", "four" and "4", "1.5 million" and "1,500,000" give the same
number key; "3 March 2023", "March 3, 2023", "2023-03-03" and "03/03/2023" give the same date;
"13:30", "1:30 pm" and "1.30 p.m." the same time of day.
The claim checker (core/answer/check.py) compares answers with their sources through these keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
WORD_VALUES = {w: i for i, w in enumerate(_ONES)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)} | {"dozen": 12}
SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}
ORDINAL_VALUES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                  "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "fifteenth": 15,
                  "twentieth": 20, "thirtieth": 30, "hundredth": 100}

_WORD_ALTERNATION = "|".join(sorted([*WORD_VALUES, *SCALES], key=len, reverse=True))
# "twenty-five", "one hundred and twenty", "three thousand": runs of number words.
NUMBER_WORDS = re.compile(rf"\b(?:{_WORD_ALTERNATION})(?:(?:[\s-]+(?:and[\s-]+)?)(?:{_WORD_ALTERNATION}))*\b",
                          re.IGNORECASE)
ORDINAL_WORDS = re.compile(rf"\b(?:{'|'.join(ORDINAL_VALUES)})\b", re.IGNORECASE)
# Digits: "3,450", "7.2", "1990"; not the digits of a longer word or a dotted version ("v1.2" is an
# identifier, handled by the checker before numbers).
DIGITS = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d])")
SCALE_AFTER = re.compile(r"[ \t]*(hundred|thousand|million|billion|trillion|bn|k)\b", re.IGNORECASE)
_SCALE_SHORT = {"bn": 10**9, "k": 1000}

MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
          "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3,
          "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
# Month names only when capitalised: "may" and "march" are also verbs.
_MONTH = "|".join(name for m in sorted(MONTHS, key=len, reverse=True) for name in (m.capitalize(), m.upper()))
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
DATE_PATTERNS = [  # (pattern, which groups are year, month, day)
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), "ymd"),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?({_MONTH})\.?,?(?:\s+(\d{{4}}))?\b"), "dmy"),
    (re.compile(rf"\b({_MONTH})\.?\s+{_DAY}(?:,?\s+(\d{{4}}))?\b(?!:)"), "mdy"),
    (re.compile(rf"\b({_MONTH})\.?,?\s+(\d{{4}})\b"), "my"),
    (re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b"), "numeric"),
]


@dataclass(frozen=True)
class DateValue:
    year: int | None
    month: int
    day: int | None

    @property
    def key(self) -> str:
        return f"{self.year or '?'}-{self.month:02d}-{self.day or '?'}"


@dataclass(frozen=True)
class DateMatch:
    start: int
    end: int
    readings: tuple[DateValue, ...]  # "03/04/2023" reads as 3 April or 4 March


def canonical(number: str) -> str | None:
    """"3,450" → "3450", "7.20" → "7.2"; None when ``number`` is not a number."""
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    return _plain(value)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def scaled(number: str, scale: str) -> str | None:
    """"1.5", "million" → "1500000"."""
    key = canonical(number)
    factor = SCALES.get(scale.lower()) or _SCALE_SHORT.get(scale.lower())
    if key is None or factor is None:
        return key
    return _plain(Decimal(key) * factor)


def words_value(words: str) -> int | None:
    """The value of a run of number words: "twenty-five" → 25, "two hundred and six" → 206."""
    total = current = 0
    seen = False
    for word in re.split(r"[\s-]+", words.lower()):
        if word == "and" or not word:
            continue
        if word in WORD_VALUES:
            current += WORD_VALUES[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in SCALES:
            total += (current or 1) * SCALES[word]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def find_dates(text: str) -> list[DateMatch]:
    """Dates in ``text``, longest first where patterns overlap (a day-month-year beats month-year)."""
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []
    for pattern, order in DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            readings = _readings(match, order)
            if readings:
                found.append(DateMatch(match.start(), match.end(), readings))
                taken.append((match.start(), match.end()))
    return sorted(found, key=lambda d: d.start)


def _readings(match: re.Match, order: str) -> tuple[DateValue, ...]:
    g = match.groups()
    if order == "ymd":
        candidates = [(int(g[0]), int(g[1]), int(g[2]))]
    elif order == "dmy":
        candidates = [(_year(g[2]), MONTHS[g[1].lower()], int(g[0]))]
    elif order == "mdy":
        candidates = [(_year(g[2]), MONTHS[g[0].lower()], int(g[1]))]
    elif order == "my":
        candidates = [(int(g[1]), MONTHS[g[0].lower()], None)]
    else:  # day/month/year or month/day/year: both readings, when both are possible
        candidates = [(int(g[2]), int(g[1]), int(g[0])), (int(g[2]), int(g[0]), int(g[1]))]
    readings = []
    for year, month, day in candidates:
        if 1 <= month <= 12 and (day is None or 1 <= day <= 31):
            value = DateValue(year, month, day)
            if value not in readings:
                readings.append(value)
    return tuple(readings)


def _year(text: str | None) -> int | None:
    return int(text) if text else None


# "13:30", "8:10", "1:30 pm", "1 p.m.", "7.45am": a clock time. Without am/pm only with a colon
# ("8.10" is a number); a time is not part of a longer number ("10:30:15" keeps its seconds).
TIMES = re.compile(r"(?<![\w:.])(\d{1,2})(?:([:.])(\d{2}))?\s*([ap])(?:\.\s?m\.|m\b)"
                   r"|(?<![\w:.])(\d{1,2}):(\d{2})(?![\w]|[:.]\d)", re.IGNORECASE)


@dataclass(frozen=True)
class TimeMatch:
    start: int
    end: int
    readings: tuple[str, ...]  # "HH:MM"; "1:30" without am/pm reads as 01:30 or 13:30


def find_times(text: str) -> list[TimeMatch]:
    found = []
    for match in TIMES.finditer(text):
        if match.group(4):  # with am/pm
            hour, minute = int(match.group(1)), int(match.group(3) or 0)
            if not 1 <= hour <= 12:
                continue
            hours = [hour % 12 + (12 if match.group(4).lower() == "p" else 0)]
        else:
            hour, minute = int(match.group(5)), int(match.group(6))
            hours = [hour, hour + 12] if 1 <= hour < 12 else [0, 12] if hour == 12 else [hour]
        if minute < 60 and all(h < 24 for h in hours):
            found.append(TimeMatch(match.start(), match.end(), tuple(f"{h:02d}:{minute:02d}" for h in hours)))
    return found
