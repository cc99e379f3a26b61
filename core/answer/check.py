"""Check an answer against its sources: every number, date, amount, percentage, identifier, name and
quoted term the answer states must appear in the sentences it rests on, or it is flagged.

No model is involved: claims are found by their shape and compared through normalised keys
(core/answer/values.py), so the same fact written differently still matches ("3,450 rpm" and
"3450", "7 percent" and "7%", "four hours" and "4 hours", "3 March 2023" and "2023-03-03",
"1:30 pm" and "13:30").
False alarms cost trust, so the comparison errs towards "supported": a value found anywhere in the
evidence counts, and what the question (or the conversation) already said is not a claim at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.answer.sentences import split_sentences
from core.answer.values import (DIGITS, NUMBER_WORDS, ORDINAL_VALUES, ORDINAL_WORDS, SCALE_AFTER, canonical,
                                find_dates, find_times, scaled, words_value)

KINDS = ("number", "date", "time", "amount", "percent", "identifier", "name", "quote")

# Words that are not claims when capitalised mid-sentence (titles, pronouns, words of the trade).
COMMON_WORDS = set("""i i'm i've i'd i'll a an the this that these those it its he she they we you my our your
their his her yes no not note however also and but or if in on at for to from by with as of according based
source sources answer question document documents file files page pages section chapter table figure step
dr mr mrs ms prof sir madam ok please here there see""".split())
STOPWORDS = COMMON_WORDS | set("""is are was were be been being has have had do does did will would shall should
can could may might must about after before between into over under than then so such any all each every some
what which who whom whose when where why how only own same other more most very just up down out off again
further once both few nor too per via its it's also until while because during above below through within
without""".split())
_CURRENCY_SYMBOL = r"[€$£¥₹]"
_CURRENCY_CODE = r"(?:EUR|USD|GBP|CHF|CZK|JPY|CAD|AUD|SEK|NOK|DKK|PLN)"
_CURRENCY_WORD = (r"(?:euros?|dollars?|pounds?|pence|cents?|francs?|crowns?|korun[ay]?|yen|kronor|kroner|zlot[ye]s?"
                  rf"|{_CURRENCY_CODE})")
_PERCENT = r"(?:\s*%|\s+(?:percent|per\s+cent|pct)\b)"
# Units after a number word make it a claim ("four hours"); a bare "one" or "two" usually is not.
_UNIT_WORDS = (r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|times|percent|per\s+cent|"
               rf"kilo\w+|grams?|litres?|liters?|metres?|meters?|miles?|degrees?|{_CURRENCY_WORD})")
# A number's unit glued to it: "5kg", "3rd", "10am", "1990s".
_GLUED = re.compile(r"\d+(?:\.\d+)?(?:st|nd|rd|th|s|am|pm|k|m|bn|kg|g|mg|ml|l|km|cm|mm|h|hrs?|min|ms|rpm|"
                    r"kw|kwh|w|v|mb|gb|tb|kb|x|°c|°f)", re.IGNORECASE)
_IDENTIFIER = re.compile(r"(?<![\w-])(?=[\w./-]*\d)(?=[\w./-]*[^\W\d_])[^\W_]+(?:[-_/.][^\W_]+)*(?![\w-])")
_DOTTED = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?!\w|\.\d)")  # addresses and versions: "192.168.8.1"
_MARKER = re.compile(r"\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\]|\b[Ss]ources?\s+\d{1,3}\b|\b(?:[Pp]age|p\.)\s*\d+")
_LIST_NUMBER = re.compile(r"^[ \t]*\d{1,3}[.)][ \t]", re.MULTILINE)
_QUOTE = re.compile(r"\"([^\"\n]{2,300})\"|“([^”\n]{2,300})”|‘([^’\n]{2,300})’|(?<!\w)'([^'\n]{2,120})'(?!\w)")
_CAPITALISED_RUN = re.compile(r"[^\W\d_][\w'’]*(?:-[^\W\d_][\w'’]*)*(?:[ \t]+[^\W\d_][\w'’]*(?:-[^\W\d_][\w'’]*)*)*")
_WORD = re.compile(r"[^\W_]+")
_WEEKDAYS = {"monday": ("mon",), "tuesday": ("tue", "tues"), "wednesday": ("wed",),
             "thursday": ("thu", "thur", "thurs"), "friday": ("fri",), "saturday": ("sat",), "sunday": ("sun",)}


@dataclass(frozen=True)
class Claim:
    kind: str  # one of KINDS
    text: str  # as written in the answer: "45 days", "€28", "Brno"
    start: int  # its span in the answer
    end: int
    keys: tuple[str, ...] = field(default=(), repr=False)  # normalised forms; any one found supports it


@dataclass(frozen=True)
class CheckResult:
    checked: int  # claims compared with the sources
    supported: int
    flagged: tuple[Claim, ...] = ()  # claims found in none of them, in answer order

    def as_dict(self) -> dict:
        return {"claims_checked": self.checked, "claims_supported": self.supported,
                "claims_flagged": len(self.flagged),
                "flagged": [{"kind": c.kind, "text": c.text, "start": c.start, "end": c.end} for c in self.flagged]}

    def as_trace(self) -> dict:
        """What the retrieval trace keeps of the check: the counts, and the flags for front ends."""
        return {"claims_checked": self.checked, "claims_flagged": len(self.flagged), "check": self.as_dict()}


class Evidence:
    """What a text states, normalised for comparison with claims."""

    def __init__(self, *texts: str):
        text = "\n".join(t for t in texts if t)
        self.words = {w.lower() for w in _WORD.findall(text)}
        self.flat = " " + " ".join(w.lower() for w in _WORD.findall(text)) + " "
        self.compact = re.sub(r"[\W_]+", "", text).upper()
        self.values = _values(text)
        self.dates = [reading for match in find_dates(text) for reading in match.readings]
        self.times = {reading for match in find_times(text) for reading in match.readings}

    def supports(self, claim: Claim) -> bool:
        if claim.kind in ("number", "amount", "percent"):
            return any(key in self.values for key in claim.keys)
        if claim.kind == "date":
            return any(self._has_date(key) for key in claim.keys)
        if claim.kind == "time":
            return any(key in self.times for key in claim.keys)
        if claim.kind == "identifier":
            return any(key in self.compact for key in claim.keys)
        if claim.kind == "name":
            return all(self._has_word(key) for key in claim.keys)
        if claim.kind == "quote":
            return all(f" {part} " in self.flat for part in claim.keys)
        return False

    def _has_date(self, key: str) -> bool:
        year, month, day = key.split("-")
        for date in self.dates:
            if date.month != int(month) or (day != "?" and date.day is not None and date.day != int(day)):
                continue
            if day != "?" and date.day is None and day not in self.values:
                continue
            if year == "?" or str(date.year) == year or (date.year is None and year in self.values):
                return True
        return False

    def _has_word(self, word: str) -> bool:
        # "Corp" for "Corporation", "Acme" for "Acme's": a shared stem of four letters or more counts.
        if word in self.words:
            return True
        if word in _WEEKDAYS and any(short in self.words for short in _WEEKDAYS[word]):
            return True  # "Saturday" for a timetable's "Sat 12 Jul"
        return len(word) >= 4 and any(len(w) >= 4 and (w.startswith(word) or word.startswith(w))
                                      for w in self.words)


def check_answer(answer: str, evidence: Evidence, given: str = "") -> CheckResult:
    """Claims of ``answer`` that ``evidence`` does not support; ``given`` is what the question and
    the conversation already said (not the answer's claims, so not checked)."""
    claims = extract_claims(answer, given)
    flagged = tuple(c for c in claims if not evidence.supports(c))
    return CheckResult(len(claims), len(claims) - len(flagged), flagged)


def extract_claims(answer: str, given: str = "") -> list[Claim]:
    """Checkable claims in answer order, none overlapping another; citation markers, list numbers
    and whatever ``given`` already states are left out."""
    taken: list[tuple[int, int]] = [(m.start(), m.end()) for m in _MARKER.finditer(answer)]
    taken += [(m.start(), m.end()) for m in _LIST_NUMBER.finditer(answer)]
    claims: list[Claim] = []

    def add(kind: str, start: int, end: int, keys) -> None:
        keys = tuple(k for k in keys if k)
        if keys and not any(start < e and s < end for s, e in taken):
            claims.append(Claim(kind, answer[start:end], start, end, keys))
        taken.append((start, end))

    for match in _QUOTE.finditer(answer):
        phrase = next(g for g in match.groups() if g is not None)
        parts = [" ".join(w.lower() for w in _WORD.findall(p)) for p in re.split(r"\.\.\.|…", phrase)]
        add("quote", match.start(), match.end(), [p for p in parts if p])
    for date in find_dates(answer):
        add("date", date.start, date.end, [r.key for r in date.readings])
    for time in find_times(answer):
        add("time", time.start, time.end, time.readings)
    identifiers = [m for m in _IDENTIFIER.finditer(answer) if not _GLUED.fullmatch(m.group())]
    for match in sorted(identifiers + list(_DOTTED.finditer(answer)), key=lambda m: m.start()):
        add("identifier", match.start(), match.end(), [re.sub(r"[\W_]+", "", match.group()).upper()])
    _numbers(answer, add)
    _names(answer, add)
    claims.sort(key=lambda c: c.start)
    if given:
        said = Evidence(given)
        claims = [c for c in claims if not said.supports(c)]
    return claims


def _numbers(answer: str, add) -> None:
    amount_before = re.compile(rf"(?:{_CURRENCY_SYMBOL}|{_CURRENCY_CODE}\s?)\s?$")
    after = re.compile(rf"({_PERCENT})|\s*({_CURRENCY_WORD})\b|(?:[ \t]+([^\W\d_]{{1,12}})\b)?", re.IGNORECASE)
    for match in DIGITS.finditer(answer):
        start, end = match.start(), match.end()
        number = match.group(1) + (match.group(2) or "")
        key = canonical(number)
        scale = SCALE_AFTER.match(answer, end)
        if scale:
            key, end = scaled(number, scale.group(1)), scale.end()
        before = amount_before.search(answer, max(0, start - 5), start)
        tail = after.match(answer, end)
        kind = "number"
        if tail.group(1):
            kind, end = "percent", tail.end()
        elif tail.group(2):
            kind, end = "amount", tail.end()
        elif before:
            kind = "amount"
        elif tail.group(3) and tail.group(3).lower() not in STOPWORDS:
            end = tail.end()  # the unit, for the reader: "45 days"
        glued = re.match(r"[^\W\d_]+", answer[end:]) if end == match.end() else None
        if glued:  # "3rd", "5kg", "1990s"
            end += glued.end()
        add(kind, before.start() if before else start, end, [key])
    unit_after = re.compile(rf"\s+({_UNIT_WORDS})\b|({_PERCENT})", re.IGNORECASE)
    for match in NUMBER_WORDS.finditer(answer):
        unit = unit_after.match(answer, match.end())
        value = words_value(match.group())
        if unit and value is not None:
            kind = "percent" if re.search("per", unit.group(0), re.IGNORECASE) else (
                "amount" if re.fullmatch(rf"\s*{_CURRENCY_WORD}", unit.group(0), re.IGNORECASE) else "number")
            add(kind, match.start(), unit.end(), [str(value)])


def _names(answer: str, add) -> None:
    starts = _sentence_starts(answer)
    for match in _CAPITALISED_RUN.finditer(answer):
        words = []  # (start, end) of each capitalised word of the run worth checking
        for word in re.finditer(r"\S+", match.group()):
            text, start = word.group(), match.start() + word.start()
            bare = re.sub(r"['’]s$", "", text)
            if not bare[0].isupper() or len(bare) < 2 or start in starts or bare.lower() in COMMON_WORDS:
                if words:
                    _add_name(answer, words, add)
                    words = []
                continue
            words.append((start, start + len(bare)))
        if words:
            _add_name(answer, words, add)


def _add_name(answer: str, words: list[tuple[int, int]], add) -> None:
    keys = [w.lower() for s, e in words for w in _WORD.findall(answer[s:e])]
    add("name", words[0][0], words[-1][1], keys)


def _sentence_starts(text: str) -> set[int]:
    """Where a capital letter says nothing: the first word of a sentence, list item, heading, or of
    what follows a colon, however much Markdown or quoting comes before it."""
    starts = set()
    lead = re.compile(r"[\s*_#>\"'“‘(\[`-]*(?:\d{1,3}[.)]\s+)?[\s*_#>\"'“‘(\[`-]*")
    for span in split_sentences(text):
        starts.add(lead.match(text, span.start).end())
    for match in re.finditer(r"[:;]\s+|\n", text):
        starts.add(lead.match(text, match.end()).end())
    return starts


def _values(text: str) -> set[str]:
    """Every number ``text`` states, in every form a claim may take."""
    values = set()
    for match in DIGITS.finditer(text):
        number = match.group(1) + (match.group(2) or "")
        values.add(canonical(number))
        scale = SCALE_AFTER.match(text, match.end())
        if scale:
            values.add(scaled(number, scale.group(1)))
    for match in re.finditer(r"\d+", text):  # digits inside identifiers and dates: "INV-2024-0042"
        values.add(canonical(match.group()))
    for match in NUMBER_WORDS.finditer(text):
        value = words_value(match.group())
        if value is not None:
            values.add(str(value))
    values.update(str(ORDINAL_VALUES[m.group().lower()]) for m in ORDINAL_WORDS.finditer(text))
    return {v for v in values if v}
