"""A spreadsheet cell's value as a person reads it: "1,250.00", "12.5%", "2024-06-30", "30 June".

Numbers lose binary noise (0.1 + 0.2 shows as 0.3) and follow their number format when it is an
easy one (decimals, thousands separators, percent, a currency symbol, negatives in brackets);
anything harder (fractions, conditions) is shown the way the General format shows it. Dates are
shown as ISO (2024-06-30) unless their format spells the month as a word ("d mmmm" → "30 June"):
an all-digit format is read differently in each locale ("03/04/2024"), ISO never is.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import ROUND_HALF_UP, Decimal

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A format's pieces: quoted text, escaped characters, [$€-407] currencies, other [..] codes,
# _x (the width of x), *x (fill with x), date/time tokens and everything else one by one.
_TOKENS = re.compile(r'"[^"]*"|\\.|\[\$[^\]]*\]|\[[^\]]*\]|_.|\*.|AM/PM|A/P|[yY]+|[mM]+|[dD]+|[hH]+|[sS]+|.',
                     re.DOTALL)
_NUMBER = re.compile(r"[0#?,.]*[0#?][0#?,.]*%?")


def general(value: float) -> str:
    """The General format: integers whole, other numbers to 10 significant digits."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    magnitude = abs(value)
    if magnitude >= 1e15 or magnitude < 1e-9:
        return f"{value:.6G}"  # 1.23457E+15, as a spreadsheet shows it
    text = _decimal(value, 10, significant=True)
    return text


def _decimal(value: float, digits: int, significant: bool = False) -> str:
    """``value`` rounded half away from zero (as spreadsheets round) to ``digits`` decimals or
    significant digits, without trailing zeros."""
    exact = Decimal(f"{value:.15g}")  # a spreadsheet keeps 15 significant digits
    if significant:
        digits = max(digits - exact.adjusted() - 1, 0)
    text = f"{exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(value: float, fmt: str | None) -> str:
    """A number under its format, or as General when the format is not an easy one."""
    sections = _sections(fmt)
    if not sections:
        return general(value)
    section = sections[1] if value < 0 and len(sections) > 1 else sections[0]
    if value < 0 and len(sections) > 1:
        value = -value  # the negative section writes its own sign or brackets
    shown = _with_format(value, section)
    return shown if shown is not None else general(value)


def _sections(fmt: str | None) -> list[str]:
    if not fmt or fmt.lower() == "general" or fmt == "@":
        return []
    return fmt.split(";")


def _with_format(value: float, section: str) -> str | None:
    parts: list[str] = []
    numeric, scale = None, 1
    for token in _tokens(section):
        if token.startswith('"'):
            parts.append(token[1:-1])
        elif token.startswith("\\"):
            parts.append(token[1])
        elif token.startswith("[$"):
            parts.append(token[2:-1].split("-")[0])  # [$€-407] → €
        elif token.startswith("["):
            if not re.fullmatch(r"\[(?:[A-Za-z]+\d*)\]", token):
                return None  # a condition such as [>=100]: not an easy format
        elif token.startswith("_"):
            parts.append(" ")
        elif token.startswith("*"):
            continue
        elif token == "%" and numeric is not None and numeric != len(parts) - 1:
            parts.append(token)  # "0.0 %": a percent sign apart from the digits still scales them
            scale = 100
        elif token[0] in "0#?,.%" and numeric is None:
            numeric = len(parts)
            parts.append(token)
        elif token[0] in "0#?,.%":
            parts[numeric] += token
        elif token[0] in "yYmMdDhHsSeE/" or token in ("AM/PM", "A/P"):
            return None  # a date, fraction or scientific format under a plain number
        else:
            parts.append(token)
    if numeric is None:
        return "".join(parts) or None
    shown = _digits(value * scale, parts[numeric])
    if shown is None:
        return None
    parts[numeric] = shown
    return "".join(parts).strip()


def _digits(value: float, pattern: str) -> str | None:
    if not _NUMBER.fullmatch(pattern):
        return None
    pct = "%" if pattern.endswith("%") else ""
    if pct:
        value, pattern = value * 100, pattern[:-1]
    body = pattern.rstrip(",")
    value /= 1000 ** (len(pattern) - len(body))  # each trailing comma shows thousands
    whole, _, decimals = body.partition(".")
    most, least = len(decimals.replace(",", "")), decimals.count("0")
    text = _decimal(value, most)
    if "." in text:
        integer, fraction = text.split(".")
    else:
        integer, fraction = text, ""
    fraction = fraction.ljust(least, "0")
    if "," in whole:
        sign = "-" if integer.startswith("-") else ""
        integer = sign + f"{int(integer.lstrip('-')):,}"
    if integer in ("0", "-0") and "0" not in whole:
        integer = integer[:-1]  # "#.00" shows .5, not 0.50
    return (integer + ("." + fraction if fraction else "") + pct) or "0"


def percent(value: float) -> str:
    return _decimal(value * 100, 8) + "%"


# -- dates and times --------------------------------------------------------------------------------

def moment(value: dt.datetime | dt.date | dt.time | dt.timedelta, fmt: str | None = None) -> str:
    """A date, time or duration: under its format when it names the month in words, else ISO."""
    if isinstance(value, dt.timedelta):
        seconds = int(round(value.total_seconds()))
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if isinstance(value, dt.datetime) and fmt and _spells_month(fmt):
        shown = _date_with_format(value, fmt.split(";")[0])
        if shown:
            return shown
    if isinstance(value, dt.time):
        return _clock(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return f"{value.date().isoformat()} {_clock(value.time())}"
    return value.isoformat()


def _clock(value: dt.time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


@functools.lru_cache(maxsize=512)  # a sheet has a few formats, shown in thousands of cells
def _tokens(fmt: str) -> tuple[str, ...]:
    return tuple(_TOKENS.findall(fmt))


@functools.lru_cache(maxsize=512)
def _spells_month(fmt: str) -> bool:
    unquoted = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", fmt)
    return re.search(r"m{3,}", unquoted, re.IGNORECASE) is not None


def _date_with_format(value: dt.datetime, fmt: str) -> str | None:
    tokens = _tokens(fmt)
    twelve = any(t.upper() in ("AM/PM", "A/P") for t in tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1])
        elif token.startswith("[") or token.startswith("*"):
            continue
        elif token.startswith("_"):
            out.append(" ")
        elif low[0] == "y":
            out.append(str(value.year) if len(low) > 2 else f"{value.year % 100:02d}")
        elif low[0] == "m" and _is_minutes(tokens, i):
            out.append(f"{value.minute:02d}" if len(low) > 1 else str(value.minute))
        elif low[0] == "m":
            out.append({1: str(value.month), 2: f"{value.month:02d}", 3: _MONTHS[value.month - 1][:3]}
                       .get(len(low), _MONTHS[value.month - 1]))
        elif low[0] == "d":
            out.append({1: str(value.day), 2: f"{value.day:02d}", 3: _DAYS[value.weekday()][:3]}
                       .get(len(low), _DAYS[value.weekday()]))
        elif low[0] == "h":
            hour = (value.hour % 12 or 12) if twelve else value.hour
            out.append(f"{hour:02d}" if len(low) > 1 else str(hour))
        elif low[0] == "s":
            out.append(f"{value.second:02d}" if len(low) > 1 else str(value.second))
        elif low in ("am/pm", "a/p"):
            out.append(("AM" if value.hour < 12 else "PM")[: 2 if low == "am/pm" else 1])
        elif low[0] in "0#?":
            return None  # fractions of seconds and such: not an easy format
        else:
            out.append(token)
    return "".join(out).strip() or None


def _is_minutes(tokens: list[str], i: int) -> bool:
    """"m" means minutes right after an hour or right before seconds (literals in between)."""
    def letter(j: int, step: int) -> str:
        while 0 <= j < len(tokens):
            first = tokens[j][0].lower()
            if first in "ymdhs":
                return first
            j += step
        return ""
    return letter(i - 1, -1) == "h" or letter(i + 1, 1) == "s"


# -- any value ----------------------------------------------------------------------------------------

def cell_text(value, fmt: str | None = None) -> tuple[str, bool]:
    """(what the cell shows, whether it holds a typed value rather than text); ("", False) when
    empty. Line breaks inside a cell become spaces: every row is one line of the sheet's text."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), True
    if isinstance(value, (int, float)):
        return number(value, fmt), True
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return moment(value, fmt), True
    return one_line(str(value)), False


def one_line(text: str) -> str:
    return " ".join(text.split())
