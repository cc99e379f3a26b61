"""Small models at temperature 0 can repeat a line or a sentence until the token limit. The
stream is stopped once the last sentence has already been written twice, and the repeats are
dropped from what is kept (the first occurrence stays)."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_CHARS = 16  # shorter pieces ("Yes.", "- item") legitimately recur


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _tail_repeats(text: str, times: int = 4, longest: int = 80) -> bool:
    """The text ends with the same run of characters ``times`` times over ("The answer is: The
    answer is: …", "1.1.1.1.1…"): a loop inside one line, which the sentence check cannot see."""
    tail = "".join(text[-times * longest:].split())
    for period in range(2, longest + 1):
        if len(tail) < times * period:
            break
        unit = tail[-period:]
        # Units without a letter or digit are layout (a table rule "|---|---|"), not a loop.
        if any(c.isalnum() for c in unit) and tail[-times * period:] == unit * times:
            return True
    return False


def is_looping(text: str, times: int = 3) -> bool:
    """The last complete sentence or line has been written ``times`` times, or the text ends in a
    short run of characters repeated over and over."""
    if _tail_repeats(text):
        return True
    if not text or not (text[-1] in ".!?\n" or text[-1].isspace()):
        return False  # the last sentence is still being written
    sentences = _sentences(text)
    last = sentences[-1] if sentences else ""
    return len(last) >= MIN_CHARS and sentences.count(last) >= times


def drop_repeats(text: str) -> str:
    """``text`` with every later copy of a sentence (or line) of MIN_CHARS or more removed."""
    seen: set[str] = set()
    lines = []
    for line in text.split("\n"):
        pieces = re.split(r"(?<=[.!?])(\s+)", line)
        kept: list[str] = []
        for i in range(0, len(pieces), 2):
            sentence = pieces[i].strip()
            if len(sentence) >= MIN_CHARS and sentence in seen:
                continue
            seen.add(sentence)
            kept.append(pieces[i] if not kept else " " + pieces[i].lstrip())
        if line.strip() and not "".join(kept).strip():
            continue  # a line made only of repeats
        lines.append("".join(kept))
    return "\n".join(lines)
