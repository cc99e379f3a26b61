"""The user's own question–answer pairs, read from a file: JSON Lines in the OpenAI chat
(``{"messages": […]}``), ShareGPT (``{"conversations": […]}``), Alpaca (``instruction``/``input``/
``output``) or prompt–completion layout (strings or message lists), a JSON array of such records,
or CSV with a header naming the question and answer columns.

Each JSONL record's layout is recognised on its own, so one file may mix them. A bad line is reported
with its line number and why, and never stops the lines after it. System messages in a file are not
kept: an example is trained under the app's own system prompt, the one it answers with. Every
user → assistant exchange of a conversation is a pair.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.style.examples import Problem

_SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                   "chatgpt": "assistant", "model": "assistant", "system": "system"}
_CHAT_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}
# CSV header names (compared lower-case, with "_", "-" and spaces alike), in order of preference.
QUESTION_COLUMNS = ("question", "prompt", "instruction", "query", "q")
ANSWER_COLUMNS = ("answer", "response", "output", "completion", "ideal answer", "a")
_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024
_JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
_CSV_SUFFIXES = (".csv", ".tsv")


@dataclass(frozen=True)
class ImportedPair:
    question: str
    answer: str
    where: str  # "pairs.jsonl line 3", "… line 3, exchange 2", "pairs.csv line 7": for messages


class _Bad(ValueError):
    """A record that cannot be read; the message says why."""


def read_pairs(path: str | os.PathLike) -> tuple[list[ImportedPair], list[Problem]]:
    """The pairs of a file and a problem for each record left out. JSON or CSV is told by the
    extension (.jsonl, .ndjson, .json; .csv, .tsv), or else by the content: JSON starts with "{" or "["."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Problem(path.name, f"cannot be read: {exc.strerror or exc}")]
    suffix = path.suffix.lower()
    if suffix in _JSON_SUFFIXES:
        return read_json_records(data, path.name)
    if suffix not in _CSV_SUFFIXES and data.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:1] in (b"{", b"["):
        return read_json_records(data, path.name)
    return read_csv(data, path.name)


def read_json_records(data: bytes, name: str) -> tuple[list[ImportedPair], list[Problem]]:
    pairs: list[ImportedPair] = []
    problems: list[Problem] = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    records = _json_array(data) if data.lstrip()[:1] == b"[" else None
    if isinstance(records, Problem):
        return [], [Problem(name, records.message)]
    if records is not None:
        numbered = [(f"{name} item {i}", record) for i, record in enumerate(records, 1)]
    else:
        numbered = []
        for number, raw in enumerate(data.split(b"\n"), 1):
            where = f"{name} line {number}"
            if not raw.strip():
                continue
            try:
                numbered.append((where, json.loads(raw.decode("utf-8"))))
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                problems.append(Problem(where, f"is not valid JSON: {_json_error(exc)}"))
    for where, record in numbered:
        try:
            exchanges = _exchanges(record)
        except _Bad as exc:
            problems.append(Problem(where, str(exc)))
            continue
        for turn, (question, answer) in enumerate(exchanges, 1):
            _add(pairs, problems, question, answer, where if len(exchanges) == 1 else f"{where}, exchange {turn}")
    return pairs, problems


def _json_array(data: bytes) -> list | Problem | None:
    """A file that is one JSON array (how Alpaca sets are often shared); None when it is JSON Lines
    after all (its first line is a whole JSON value, such as a bad record "[1, 2]")."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        try:
            json.loads(data.lstrip().split(b"\n", 1)[0])
            return None
        except (UnicodeDecodeError, ValueError, RecursionError):
            return Problem("", f"is not a valid JSON array: {_json_error(exc)}")


def _json_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start + 1})"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}" + (f" of line {exc.lineno}" if exc.lineno > 1 else "")
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def _exchanges(record: Any) -> list[tuple[str, str]]:
    if not isinstance(record, dict):
        raise _Bad(f"is a JSON {type(record).__name__.replace('dict', 'object')}, not an object")
    if "messages" in record:
        return _chat(record["messages"], "role", "content", _CHAT_ROLES, '"messages"')
    if "conversations" in record:
        return _chat(record["conversations"], "from", "value", _SHAREGPT_ROLES, '"conversations"')
    if "instruction" in record and "output" in record:
        question = _text(record["instruction"], '"instruction"')
        extra = _text(record.get("input") or "", '"input"')
        return [(f"{question.strip()}\n\n{extra.strip()}" if extra.strip() else question,
                 _text(record["output"], '"output"'))]
    if "prompt" in record and "completion" in record:
        prompt, completion = record["prompt"], record["completion"]
        for value, field in ((prompt, "prompt"), (completion, "completion")):
            if not isinstance(value, (str, list)):
                raise _Bad(f'"{field}" is neither text nor a list of messages')
        question = _text(prompt, '"prompt"') if isinstance(prompt, str) else \
            _last(_chat_turns(prompt, "role", "content", _CHAT_ROLES, '"prompt"'), "user", '"prompt"')
        answer = _text(completion, '"completion"') if isinstance(completion, str) else \
            _last(_chat_turns(completion, "role", "content", _CHAT_ROLES, '"completion"'), "assistant", '"completion"')
        return [(question, answer)]
    keys = ", ".join(f'"{k}"' for k in list(record)[:6]) or "none"
    raise _Bad('has no known layout: expected "messages" (OpenAI chat), "conversations" (ShareGPT), '
               f'"instruction" and "output" (Alpaca) or "prompt" and "completion"; its keys are {keys}')


def _chat(turns: Any, role_key: str, content_key: str, roles: dict, field: str) -> list[tuple[str, str]]:
    """Each user question with the assistant answer after it (system turns are left out)."""
    exchanges, question = [], None
    for role, content in _chat_turns(turns, role_key, content_key, roles, field):
        if role == "user":
            question = content  # two questions in a row: the answer follows the second
        elif role == "assistant" and question is not None:
            exchanges.append((question, content))
            question = None
    if not exchanges:
        raise _Bad(f"{field} has no user question followed by an assistant answer")
    return exchanges


def _chat_turns(turns: Any, role_key: str, content_key: str, roles: dict, field: str) -> list[tuple[str, str]]:
    if not isinstance(turns, list):
        raise _Bad(f"{field} is not a list of messages")
    result = []
    for n, turn in enumerate(turns, 1):
        if not isinstance(turn, dict) or role_key not in turn:
            raise _Bad(f'{field} message {n} has no "{role_key}"')
        role = roles.get(str(turn[role_key]).lower())
        if role is None:
            known = ", ".join(f'"{r}"' for r in roles)
            raise _Bad(f'{field} message {n} has the role "{turn[role_key]}"; expected one of {known}')
        result.append((role, _text(turn.get(content_key), f"{field} message {n}")))
    return result


def _last(turns: list[tuple[str, str]], role: str, field: str) -> str:
    texts = [content for r, content in turns if r == role]
    if not texts:
        raise _Bad(f"{field} has no {role} message")
    return texts[-1]


def _text(value: Any, what: str) -> str:
    """A string, or the text parts of OpenAI's list of content parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(p, dict) for p in value):
        texts = [p["text"] for p in value if p.get("type") == "text" and isinstance(p.get("text"), str)]
        if texts:
            return "\n".join(texts)
    raise _Bad(f"{what} is not text" + (" (it has none)" if value is None else ""))


def _add(pairs: list, problems: list, question: str, answer: str, where: str) -> None:
    if not question.strip():
        problems.append(Problem(where, "the question is empty"))
    elif not answer.strip():
        problems.append(Problem(where, "the answer is empty"))
    else:
        newlines = lambda text: text.replace("\r\n", "\n").replace("\r", "\n").strip()  # noqa: E731
        pairs.append(ImportedPair(newlines(question), newlines(answer), where))


# -- CSV -------------------------------------------------------------------------------------------

def read_csv(data: bytes, name: str) -> tuple[list[ImportedPair], list[Problem]]:
    """A header row names the columns; the delimiter (",", ";", tab or "|") is sniffed and checked
    against the header. UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), or
    Windows-1252 (what Excel writes by default on Windows)."""
    text = _decode(data)
    if text is None:
        return [], [Problem(name, "is neither UTF-8 nor Windows-1252 text: save it as CSV UTF-8")]
    found = _layout(text)
    if isinstance(found, str):
        return [], [Problem(name, found)]
    delimiter, (question_at, answer_at, input_at), width = found
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    pairs: list[ImportedPair] = []
    problems: list[Problem] = []
    header_seen = False
    while True:
        where = f"{name} line {reader.line_num + 1}"  # the line a record starts on
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(where, f"cannot be read as CSV: {exc}"))
            continue
        if not header_seen:
            header_seen = True
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > width:
            problems.append(Problem(where, f"has {len(row)} fields but the header has {width}: is there an "
                                           f"unquoted {_shown(delimiter)} in the text? Put that field in "
                                           "double quotes"))
            continue
        cell = lambda at: row[at] if at is not None and at < len(row) else ""  # noqa: E731
        question = cell(question_at).strip()
        if cell(input_at).strip():
            question = f"{question}\n\n{cell(input_at).strip()}"
        _add(pairs, problems, question, cell(answer_at), where)
    return pairs, problems


def _decode(data: bytes) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _layout(text: str) -> tuple[str, tuple[int | None, int | None, int | None], int] | str:
    """The delimiter, the question, answer and (Alpaca) input columns, and the header's width;
    or why there are none. The sniffed delimiter is tried first, then each usual one: the right one
    is the one whose header names the columns."""
    sample = text[:_SNIFF_CHARS]
    order = list(_DELIMITERS)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
        order.remove(sniffed)
        order.insert(0, sniffed)
    except csv.Error:
        pass  # too little or too irregular to sniff: try each
    first = None
    for delimiter in order:
        header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), None)
        if header is None:
            return "is empty"
        names = [" ".join(h.replace("_", " ").replace("-", " ").lower().split()) for h in header]
        first = first or header
        question_at = next((names.index(c) for c in QUESTION_COLUMNS if c in names), None)
        answer_at = next((names.index(c) for c in ANSWER_COLUMNS if c in names), None)
        if question_at is not None and answer_at is not None:
            input_at = names.index("input") if "input" in names else None
            return delimiter, (question_at, answer_at, input_at), len(header)
    shown = ", ".join(f'"{h}"' for h in (first or [])[:8])
    return (f"has no question and answer columns (its first line is {shown}): name them in a header row, "
            '"question" and "answer" (or "prompt" and "response", "instruction" and "output")')


def _shown(delimiter: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}[delimiter]
