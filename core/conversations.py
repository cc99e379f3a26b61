"""Chat history, kept locally in ``data_dir/conversations.sqlite`` (core.layout.conversations_path).

Each answer keeps what is needed to trust it later: engine and model, numbered citations, the
retrieval trace and how it ended (complete, stopped, interrupted with the partial kept, refused).
Messages are ordered by a per-conversation sequence number, not by clock, so a regenerated answer
stays where it was and concurrent writers cannot reorder a conversation."""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from core.localdb import LocalDB, dump_json, from_db, load_json, to_db
from core.locator import place

ROLES = ("user", "assistant")
STATUSES = ("complete", "stopped", "interrupted", "refused")
EXPORT_SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, created_at REAL NOT NULL,
    engine TEXT, model TEXT, citations TEXT NOT NULL DEFAULT '[]', trace TEXT,  -- citations, trace: JSON
    status TEXT NOT NULL DEFAULT 'complete', UNIQUE (conversation_id, seq));
"""


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    role: str
    content: str
    created_at: float
    engine: str | None = None
    model: str | None = None
    citations: list[dict] = field(default_factory=list)
    trace: dict | None = None
    status: str = "complete"


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created_at: float
    updated_at: float
    messages: list[Message] = field(default_factory=list)


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    created_at: float
    updated_at: float
    message_count: int


def citations_from_hits(hits: Iterable[Any], snippet_chars: int = 300) -> list[dict]:
    """The stored form of search hits (core.search.Hit), numbered [1], [2], … as the model saw them."""
    return [{"n": n, "path": h.path, "page": h.page, "heading": h.heading, "start": h.start, "end": h.end,
             "snippet": h.text[:snippet_chars], "score": h.score} for n, h in enumerate(hits, 1)]


def short_title(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut on a word boundary when longer than ``limit``."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space >= limit // 2 else cut).rstrip(" ,;:.-") + "…"


class ConversationStore:
    def __init__(self, db_path: Path):
        self._db, self._clock_lock, self._last = LocalDB(db_path, _SCHEMA, version=1), threading.Lock(), 0.0

    def close(self) -> None:
        self._db.close()

    def _now(self) -> float:
        # Strictly increasing, so "newest first" is exact even on coarse clocks.
        with self._clock_lock:
            self._last = max(time.time(), self._last + 1e-6)
            return self._last

    # -- conversations ------------------------------------------------------------------------

    def create(self, title: str | None = None) -> Conversation:
        now = self._now()
        conv = Conversation(str(uuid.uuid4()), title or "", now, now)
        with self._db.transaction() as db:
            db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?)", (conv.id, to_db(conv.title), now, now))
        return conv

    def list(self) -> list[ConversationSummary]:
        rows = self._db.query(
            "SELECT c.*, COUNT(m.id) AS n FROM conversations c LEFT JOIN messages m"
            " ON m.conversation_id = c.id GROUP BY c.id ORDER BY c.updated_at DESC, c.rowid DESC")
        return [ConversationSummary(r["id"], from_db(r["title"]), r["created_at"], r["updated_at"], r["n"])
                for r in rows]

    def get(self, conv_id: str) -> Conversation | None:
        with self._db.transaction() as db:  # one snapshot: the title and messages agree
            if (r := db.execute("SELECT * FROM conversations WHERE id = ?", (conv_id,)).fetchone()) is None:
                return None
            messages = db.execute("SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq", (conv_id,))
            return Conversation(r["id"], from_db(r["title"]), r["created_at"], r["updated_at"],
                                [_message(m) for m in messages])

    def rename(self, conv_id: str, title: str) -> None:
        with self._db.transaction() as db:
            if not db.execute("UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                              (to_db(title), self._now(), conv_id)).rowcount:
                raise KeyError(conv_id)

    def delete(self, conv_id: str) -> bool:
        with self._db.transaction() as db:  # messages go with it (ON DELETE CASCADE)
            return db.execute("DELETE FROM conversations WHERE id = ?", (conv_id,)).rowcount > 0

    def auto_title(self, conv_id: str) -> str:
        """Title an untitled conversation after its first question; a title the user chose is kept."""
        with self._db.transaction() as db:
            if (row := db.execute("SELECT title FROM conversations WHERE id = ?", (conv_id,)).fetchone()) is None:
                raise KeyError(conv_id)
            if (title := from_db(row["title"])).strip():
                return title
            first = db.execute("SELECT content FROM messages WHERE conversation_id = ? AND role = 'user'"
                               " ORDER BY seq LIMIT 1", (conv_id,)).fetchone()
            title = short_title(from_db(first["content"])) if first else ""
            db.execute("UPDATE conversations SET title = ? WHERE id = ?", (to_db(title), conv_id))
            return title

    # -- messages -----------------------------------------------------------------------------

    def add_message(self, conv_id: str, role: str, content: str, *, engine: str | None = None,
                    model: str | None = None, citations: list[dict] | None = None,
                    trace: dict | None = None, status: str = "complete") -> Message:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        if role == "user" and (engine or model or citations or trace):
            raise ValueError("engine, model, citations and trace belong to assistant messages")
        _check_status(status)
        now = self._now()
        with self._db.transaction() as db:
            if not db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conv_id)).rowcount:
                raise KeyError(conv_id)
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?",
                             (conv_id,)).fetchone()[0]
            msg = Message(str(uuid.uuid4()), conv_id, role, content, now, engine, model,
                          list(citations or []), trace, status)
            db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (msg.id, conv_id, seq, role, to_db(content), now, to_db(engine), to_db(model),
                        dump_json(msg.citations), None if trace is None else dump_json(trace), status))
        return msg

    def update_message(self, msg_id: str, *, content: str | None = None, status: str | None = None,
                       citations: list[dict] | None = None, trace: dict | None = None,
                       engine: str | None = None, model: str | None = None) -> Message:
        """Replace fields of a message in place (None leaves a field as it is): the final text of a
        streamed answer, or a regenerated answer, which may come from another model."""
        if status is not None:
            _check_status(status)
        changes = {"content": to_db(content), "status": status, "engine": to_db(engine), "model": to_db(model),
                   "citations": None if citations is None else dump_json(citations),
                   "trace": None if trace is None else dump_json(trace)}
        changes = {k: v for k, v in changes.items() if v is not None}
        with self._db.transaction() as db:
            if (row := db.execute("SELECT conversation_id FROM messages WHERE id = ?", (msg_id,)).fetchone()) is None:
                raise KeyError(msg_id)
            if changes:
                sets = ", ".join(f"{k} = ?" for k in changes)
                db.execute(f"UPDATE messages SET {sets} WHERE id = ?", (*changes.values(), msg_id))
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                       (self._now(), row["conversation_id"]))
            return _message(db.execute("SELECT * FROM messages WHERE id = ?", (msg_id,)).fetchone())

    def exchange(self, msg_id: str) -> tuple[Message | None, Message]:
        """An answer and the question it answers (None if it has none); KeyError if unknown."""
        rows = self._db.query("SELECT * FROM messages WHERE id = ?", (msg_id,))
        if not rows:
            raise KeyError(msg_id)
        answer = _message(rows[0])
        before = self._db.query("SELECT * FROM messages WHERE conversation_id = ? AND seq < ? AND role = 'user'"
                                " ORDER BY seq DESC LIMIT 1", (answer.conversation_id, rows[0]["seq"]))
        return (_message(before[0]) if before else None), answer

    def find(self, prefix: str, messages: bool = False) -> str:
        """The full id of the conversation (or message) whose id starts with ``prefix``, as typed
        in a terminal; KeyError when none or several match."""
        table = "messages" if messages else "conversations"
        rows = self._db.query(f"SELECT id FROM {table} WHERE id >= ? AND id < ? LIMIT 2",
                              (prefix, prefix + "\uffff"))
        if len(rows) != 1:
            raise KeyError(f"{'no' if not rows else 'more than one'} {table[:-1]} id starts with {prefix!r}")
        return rows[0]["id"]

    def answered_questions(self, limit: int) -> list[str]:
        """The user's questions answered from the documents (complete, with sources; summaries and
        refusals left out), newest first, each once: what a house style must still answer."""
        rows = self._db.query(
            "SELECT q.content, MAX(a.created_at) AS at FROM messages q JOIN messages a"
            " ON a.conversation_id = q.conversation_id AND a.seq = q.seq + 1"
            " WHERE q.role = 'user' AND a.role = 'assistant' AND a.status = 'complete' AND a.citations != '[]'"
            " AND (a.trace IS NULL OR json_extract(a.trace, '$.task') IS NULL)"
            " GROUP BY q.content ORDER BY at DESC LIMIT ?", (limit,))
        return [from_db(r["content"]) for r in rows]

    def first_answers(self, limit: int) -> list[tuple[str, Message]]:
        """(question, answer) for answers to the first question of a conversation (so their prompt
        held no earlier turns), complete and with sources, newest first, each question once: the
        app's own answers a house style rehearses (core/style/rehearsal.py)."""
        rows = self._db.query(
            "SELECT q.content AS question, a.* FROM messages q JOIN messages a"
            " ON a.conversation_id = q.conversation_id AND a.seq = q.seq + 1"
            " WHERE q.seq = 1 AND q.role = 'user' AND a.role = 'assistant' AND a.status = 'complete'"
            " AND a.citations != '[]' ORDER BY a.created_at DESC")
        found: dict[str, Message] = {}
        for r in rows:
            question = from_db(r["question"])
            if question not in found:
                found[question] = _message(r)
                if len(found) >= limit:
                    break
        return list(found.items())

    def delete_message(self, msg_id: str) -> bool:
        with self._db.transaction() as db:
            return db.execute("DELETE FROM messages WHERE id = ?", (msg_id,)).rowcount > 0

    # -- export -------------------------------------------------------------------------------

    def export_json(self, conv_id: str) -> dict:
        """Everything. Undecodable path bytes stay lone surrogates: json.dumps' default ensure_ascii
        writes them as \\udcXX and json.loads reads them back exactly."""
        conv = self._require(conv_id)
        data = asdict(conv)
        for m in data["messages"]:
            del m["conversation_id"]
        return {"schema_version": EXPORT_SCHEMA_VERSION, "app": "Archivist", **data}

    def import_json(self, data: dict) -> Conversation:
        """A conversation from export_json, under new ids so it never collides with one already here."""
        if data.get("schema_version") != EXPORT_SCHEMA_VERSION:
            raise ValueError(f"unsupported conversation export version {data.get('schema_version')!r}")
        conv = self.create(data.get("title") or "")
        for m in data.get("messages", []):
            extra = {k: m.get(k) for k in ("engine", "model", "citations", "trace") if m["role"] != "user"}
            self.add_message(conv.id, m["role"], m["content"], status=m.get("status", "complete"), **extra)
        return self._require(conv.id)

    def export_markdown(self, conv_id: str) -> str:
        conv = self._require(conv_id)
        out = [f"# {md_inline(conv.title or 'Untitled conversation')}", "",
               f"*Exported from Archivist. Started {_when(conv.created_at)}.*", ""]
        for m in conv.messages:
            if m.role == "user":
                out += ["---", "", f"### Question · {_when(m.created_at)}", "",
                        "  \n".join(md_inline(line) for line in m.content.splitlines() or [""]), ""]
                continue
            by = " · ".join(md_inline(x) for x in (m.engine, m.model) if x)
            out += [f"### Answer{f' ({by})' if by else ''}", "", md_answer(m.content), ""]
            out += [f"*{_STATUS_NOTES[m.status]}*", ""] if m.status in _STATUS_NOTES else []
            if m.citations:
                out += ["**Sources**", ""] + [line for c in m.citations for line in _source_lines(c)] + [""]
        # Undecodable path bytes become U+FFFD here so the text can be saved as UTF-8.
        return _printable("\n".join(out).rstrip() + "\n")

    def _require(self, conv_id: str) -> Conversation:
        if (conv := self.get(conv_id)) is None:
            raise KeyError(conv_id)
        return conv


_STATUS_NOTES = {"stopped": "Stopped before the answer was finished.",
                 "interrupted": "The connection to the model was lost; the answer is incomplete.",
                 "refused": "Not answered: the documents did not contain the answer (strict mode)."}


def _message(r) -> Message:
    return Message(r["id"], r["conversation_id"], r["role"], from_db(r["content"]), r["created_at"],
                   from_db(r["engine"]), from_db(r["model"]), load_json(r["citations"], []),
                   load_json(r["trace"]), r["status"])


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _printable(text: str) -> str:
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate outside the os.fsdecode range
        return text.encode("utf-8", "replace").decode("utf-8")


def _source_lines(c: dict) -> list[str]:
    page = f", {place(c.get('kind'), c['page'])}" if c.get("page") else ""
    line = f"- \\[{c.get('n', '?')}\\] {md_inline(str(c.get('path', '')))}{page}"
    if c.get("heading"):
        line += " — " + md_inline(c["heading"])
    # The sentences the answer rests on, word for word; answers saved before them keep the snippet.
    quotes = [s.get("text") or "" for s in c.get("sentences") or ()] or [short_title(c.get("snippet") or "", 200)]
    return [line] + [f"  > “{md_inline(quote)}”" for quote in quotes if quote]


# Document text must stay literal: no heading, list, link, image, code span, emphasis or HTML tag
# may come out of a quoted snippet, a path or a title, whatever it contains.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
_LINE_START = re.compile(r"^([+\-=>]|\d+[.)])")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def md_inline(text: str) -> str:
    text = " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


def md_answer(text: str) -> str:
    """An answer keeps its Markdown (lists, emphasis, code) but no headings or setext underlines (they
    would break the Q/A outline), raw HTML, links or link definitions; an unclosed fence is closed."""
    out, fence = [], None
    for line in text.splitlines():
        m = _FENCE.match(line)
        if m and (fence is None or (m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence))):
            fence = m.group(1) if fence is None else None
        elif fence is None:
            line = line.replace("<", "&lt;").replace("](", "]\\(")
            line = re.sub(r"^(\s{0,3})(#|=+\s*$|-{2,}\s*$|\[[^\]]*\]:)", r"\1\\\2", line)
        out.append(line)
    return "\n".join(out + ([fence] if fence else []))
