"""What the command line shows under an answer: each source with the sentences it rests on, quoted
word for word, how well it matched the question, and the claims found in none of the sources."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import asdict

from core.answer.sentences import LINE_KINDS
from core.locator import place
from core.match_strength import describe_match
from core.twins import describe_twins

QUOTE_INDENT = " " * 6


def where(kind: str | None, page: int | None, start: int, end: int) -> str:
    return place(kind, page) or f"chars {start}-{end}"


def source_line(n: int, item) -> str:
    """"[1] /docs/handbook.pdf (p. 2) · Refunds · strong match (meaning 72/100, exact words)" for a
    search Hit or a Citation."""
    parts = [f"[{n}] {item.path} ({where(getattr(item, 'kind', ''), item.page, item.start, item.end)})"]
    if item.heading:
        parts.append(item.heading)
    match = describe_match(item)
    if match:
        parts.append(match)
    if getattr(item, "inferred", False):
        parts.append("matched by wording")
    twins = describe_twins(getattr(item, "also_in", ()))  # the same text in other files
    if twins:
        parts.append(twins)
    return " · ".join(parts)


def snippet(item, limit: int = 300) -> list[str]:
    """A passage under its source line: flattened to one line, or one line per row for a
    spreadsheet (LINE_KINDS; a few rows, twice the room), about ``limit`` characters in all."""
    rows = getattr(item, "kind", "") in LINE_KINDS
    lines, limit = (item.text.splitlines(), 2 * limit) if rows else ([item.text], limit)
    shown: list[str] = []
    for line in filter(None, (" ".join(line.split()) for line in lines)):
        room = limit - sum(len(s) for s in shown)
        if shown and room < 40:  # no stub of a row
            shown[-1] += " …"
            break
        shown.append(line if len(line) <= room else line[:room] + "…")
    return shown


def quoted(text: str, first_indent: str = QUOTE_INDENT) -> list[str]:
    """A sentence in quotes, wrapped under its source line; line breaks of the PDF become spaces."""
    width = min(shutil.get_terminal_size((100, 20)).columns, 120)
    return textwrap.wrap(f"“{' '.join(text.split())}”", width=max(40, width), initial_indent=first_indent,
                         subsequent_indent=" " * (len(first_indent) + 1))


def print_card(sentences) -> None:
    """The evidence card, before the answer streams: the best sentences found without the model."""
    if not sentences:
        return
    print("Found in your documents:")
    for sentence in sentences:
        name = sentence.path.rsplit("/", 1)[-1]
        print("\n".join(quoted(sentence.text, "  ")) + f" — {name}, {where(sentence.kind, sentence.page, sentence.start, sentence.end)}")
    print()


def card_json(sentences) -> list[dict]:
    return [{"path": s.path, "page": s.page, "start": s.start, "end": s.end, "text": s.text,
             "similarity": round(s.similarity, 3)} for s in sentences]


def check_line(check) -> str:
    """"Not in your sources: 45 days, Brno (2 of 5 facts checked)"; "" when nothing was checked."""
    if check is None or not check.checked:
        return ""
    if check.flagged:
        names = ", ".join(dict.fromkeys(c.text for c in check.flagged))
        return f"Not in your sources: {names} ({len(check.flagged)} of {check.checked} facts checked)"
    return f"All {check.checked} facts checked are in the sources." if check.checked > 1 else \
        "The fact checked is in the sources."


def print_answer_sources(done, sources) -> None:
    """Under a streamed answer: the cited sources with their sentences, or the passages the model
    was given when it cited none; then the check."""
    citations = done.citations
    if citations:
        wording = all(c.inferred for c in citations)
        print("\nSources (the answer names none; matched by wording):" if wording else "\nSources:")
        for citation in citations:
            print("  " + source_line(citation.n, citation))
            for sentence in citation.sentences:
                print("\n".join(quoted(sentence.text)))
    else:
        print("\nPassages given to the model (it cited none):")
        for source in sources:
            print("  " + source_line(source.n, source.hit))
    line = check_line(done.check)
    if line:
        print(f"\n{line}")


def chat_evidence_lines(done) -> list[str]:
    """The compact form for chat: each supporting sentence after its source number, then the check."""
    lines = []
    for citation in done.citations:
        for sentence in citation.sentences:
            lines += quoted(sentence.text, f"    [{citation.n}] ")
    if done.citations and all(c.inferred for c in done.citations):
        lines.append("  (the answer names no source; matched by wording)")
    check = check_line(done.check)
    return lines + ([f"  {check}"] if check else [])


def evidence_json(done) -> list[dict]:
    """The cited sentences for scripts: per citation, file, page and each sentence with offsets."""
    return [{"n": c.n, "path": c.path, "page": c.page, "inferred": c.inferred, "match": describe_match(c),
             "sentences": [asdict(s) for s in c.sentences]} for c in done.citations]
