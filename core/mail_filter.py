"""Mail narrowed by sender, recipient and date, without a column for them in the chunk table.

A mail file is one document whose passages carry the message's number as their ``page`` (an
attachment's passages carry its message's). Each message's envelope (sender, To/Cc, date in UTC)
is kept in the manifest by content hash and message number, written in the same transaction as the
file's record (core/indexer.py). A filter is resolved there into the messages that pass it, and
becomes a clause on ``doc_id`` and ``page``: one term per set of documents sharing the same
matching message numbers (every single-message .eml is page 1), and runs of consecutive numbers
(the messages of a date range) as ranges, so the clause grows with the mailboxes that match and
the gaps between their messages, not with the files (bench/mail_filter_cost.py). Anything that is
not mail has no envelope and never passes; a message whose date could not be read passes no date
filter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time, timezone

from lancedb.expr import Expr, col, lit

from core.manifest import Manifest
from core.search import Filters, Hit, MessageInfo, SearchResult

NOTHING = col("doc_id").isin([])  # a filter no passage passes
KIND = "mail"
RUN = 4  # consecutive message numbers from which a range is shorter than listing them


def parse_when(text: str) -> date:
    """A day (2024-06-30) or a moment (2024-06-30T14:00, with or without a zone: UTC if none), as
    typed after --after/--before; ValueError with what is expected otherwise."""
    try:
        return date.fromisoformat(text) if len(text.strip()) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {text!r} (expected YYYY-MM-DD, or YYYY-MM-DDTHH:MM)") from None


def bounds(after: date | None, before: date | None) -> tuple[int | None, int | None]:
    """[since, until) in seconds since the epoch: a day counts whole (UTC), both ends included."""
    since = _instant(after) if after else None
    until = None
    if before:
        until = _instant(before) + (86_400 if not isinstance(before, datetime) else 1)
    return since, until


def _instant(when: date) -> int:
    if not isinstance(when, datetime):
        when = datetime.combine(when, time(), timezone.utc)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp())


def where(filters: Filters, manifest: Manifest) -> Expr | None:
    """The passages of the messages that pass the filter's sender, recipient and dates (None when it
    has none of them)."""
    if not filters.of_mail:
        return None
    since, until = bounds(filters.after, filters.before)
    pages = manifest.messages_matching(filters.sender, filters.recipient, since, until)
    return messages_expression(pages)


def messages_expression(pages: dict[str, list[int]]) -> Expr:
    """``doc_id`` and ``page`` in one of these (document → message numbers) pairs."""
    if not pages:
        return NOTHING
    groups: dict[tuple[int, ...], list[str]] = {}
    for doc_id, numbers in pages.items():
        groups.setdefault(tuple(numbers), []).append(doc_id)
    return _either(_any_of("doc_id", docs) & _pages(numbers) for numbers, docs in groups.items())


def _pages(numbers: tuple[int, ...]) -> Expr:
    """Runs of consecutive numbers (a date range in a mailbox kept in order) as ranges, the rest listed."""
    runs, single = [], []
    start = 0
    for i in range(1, len(numbers) + 1):
        if i == len(numbers) or numbers[i] != numbers[i - 1] + 1:
            if i - start >= RUN:
                runs.append((col("page") >= lit(numbers[start])) & (col("page") <= lit(numbers[i - 1])))
            else:
                single.extend(numbers[start:i])
            start = i
    return _either(runs + ([_any_of("page", single)] if single else []))


def _either(terms: Iterable[Expr]) -> Expr:
    expression = None
    for term in terms:
        expression = term if expression is None else expression | term
    return expression


def _any_of(column: str, values: Iterable) -> Expr:
    values = list(values)
    return col(column) == lit(values[0]) if len(values) == 1 else col(column).isin([lit(v) for v in values])


def with_messages(result: SearchResult, manifest: Manifest) -> SearchResult:
    """Each mail hit with its message's sender, recipients and date (when its envelope is known)."""
    wanted = [(h.doc_id, h.page) for h in result.hits if h.kind == KIND and h.page]
    if not wanted:
        return result
    known = manifest.envelopes_of(wanted)
    hits: list[Hit] = []
    for hit in result.hits:
        envelope = known.get((hit.doc_id, hit.page)) if hit.kind == KIND else None
        if envelope is not None:
            sent = envelope.sent_at
            sent = datetime.fromtimestamp(sent, timezone.utc).isoformat() if sent is not None else None
            hit = replace(hit, message=MessageInfo(envelope.sender, envelope.recipients, sent))
        hits.append(hit)
    return replace(result, hits=hits)
