"""Ratings and corrected answers, kept in ``data_dir/feedback.sqlite`` (core.layout.feedback_path).

This is the training data for the house-style LoRA, so each rating stores the prompt exactly as
the model saw it (system prompt, and the user turn holding the numbered sources and the question),
not only the question: a pair trained on another prompt would teach another task. Export uses
TRL's conversational prompt–completion format (loss on the answer only) with an explicit system message in every pair, since without one the HF
chat template silently adds SmolLM's default system prompt and training would not match serving.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable

from core.localdb import LocalDB, dump_json, from_db, load_json, to_db

RATINGS = (-1, 0, 1)
LAYOUTS = ("messages", "prompt-completion")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    message_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 0, 1)),
    system_prompt TEXT NOT NULL,
    context TEXT NOT NULL,      -- the numbered sources text the model saw
    user_prompt TEXT NOT NULL,  -- the whole user turn as sent: sources plus question
    citations TEXT NOT NULL DEFAULT '[]',  -- JSON
    ideal_answer TEXT,          -- the user's corrected answer, if any
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    reason TEXT                 -- why the answer was corrected, if the user said (version 2)
);
CREATE INDEX IF NOT EXISTS feedback_by_conversation ON feedback(conversation_id);
"""
_VERSION = 2
_MIGRATIONS = {2: ("ALTER TABLE feedback ADD COLUMN reason TEXT",)}


def build_user_prompt(context: str, question: str) -> str:
    """The user turn used when rate() is not given the one the answer pipeline sent. The pipeline
    should build its prompt with this function (or pass user_prompt) so that both agree."""
    return f"{context.strip()}\n\nQuestion: {question.strip()}"


@dataclass(frozen=True)
class Feedback:
    message_id: str
    conversation_id: str
    question: str
    answer: str
    rating: int
    system_prompt: str
    context: str
    user_prompt: str
    citations: list[dict]
    ideal_answer: str | None
    created_at: float
    updated_at: float
    reason: str | None = None  # why the user corrected the answer (kept with the ideal answer)


@dataclass
class ExportCounts:
    written: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count

    def __str__(self) -> str:
        why = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(self.skipped.items()))
        return f"{self.written} written" + (f"; skipped {sum(self.skipped.values())} ({why})" if why else "")


class FeedbackLog:
    def __init__(self, db_path: Path):
        self._db = LocalDB(db_path, _SCHEMA, version=_VERSION, migrations=_MIGRATIONS)

    def close(self) -> None:
        self._db.close()

    def rate(self, message_id: str, conversation_id: str, question: str, answer: str, rating: int,
             system_prompt: str, context: str, citations: Iterable[dict] = (), *,
             user_prompt: str | None = None) -> Feedback:
        """Record (or change) the rating of one answer. A corrected answer already given is kept:
        it answers the same question whatever the thumbs say."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        if not system_prompt.strip():
            raise ValueError("the system prompt the answer was generated with is required (see module doc)")
        user_prompt = build_user_prompt(context, question) if user_prompt is None else user_prompt
        now = time.time()
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO feedback(message_id, conversation_id, question, answer, rating, system_prompt,"
                " context, user_prompt, citations, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(message_id) DO UPDATE SET conversation_id = excluded.conversation_id,"
                " question = excluded.question, answer = excluded.answer, rating = excluded.rating,"
                " system_prompt = excluded.system_prompt, context = excluded.context,"
                " user_prompt = excluded.user_prompt, citations = excluded.citations,"
                " updated_at = excluded.updated_at",
                (message_id, conversation_id, to_db(question), to_db(answer), rating, to_db(system_prompt),
                 to_db(context), to_db(user_prompt), dump_json(list(citations)), now, now))
            return _feedback(db.execute("SELECT * FROM feedback WHERE message_id = ?", (message_id,)).fetchone())

    def set_ideal(self, message_id: str, ideal_answer: str | None, reason: str | None = None) -> Feedback:
        """Store the user's corrected answer and why it was corrected (empty clears them; the reason
        belongs to this correction, so a new one replaces it). The answer must have been rated
        first, because the prompt it belongs to is stored with the rating."""
        ideal = ideal_answer if ideal_answer and ideal_answer.strip() else None
        reason = reason.strip() if ideal and reason and reason.strip() else None
        with self._db.transaction() as db:
            if not db.execute("UPDATE feedback SET ideal_answer = ?, reason = ?, updated_at = ?"
                              " WHERE message_id = ?",
                              (to_db(ideal), to_db(reason), time.time(), message_id)).rowcount:
                raise KeyError(message_id)
            return _feedback(db.execute("SELECT * FROM feedback WHERE message_id = ?", (message_id,)).fetchone())

    def get(self, message_id: str) -> Feedback | None:
        rows = self._db.query("SELECT * FROM feedback WHERE message_id = ?", (message_id,))
        return _feedback(rows[0]) if rows else None

    def list(self, rating: int | None = None) -> list[Feedback]:
        """Newest change first; only this rating when one is given."""
        sql, args = "SELECT * FROM feedback", ()
        if rating is not None:
            sql, args = sql + " WHERE rating = ?", (rating,)
        return [_feedback(r) for r in self._db.query(sql + " ORDER BY updated_at DESC, rowid DESC", args)]

    def delete(self, message_id: str) -> bool:
        with self._db.transaction() as db:
            return db.execute("DELETE FROM feedback WHERE message_id = ?", (message_id,)).rowcount > 0

    def delete_conversation(self, conversation_id: str) -> int:
        """Forget the feedback on a conversation the user deleted (it holds the same text)."""
        with self._db.transaction() as db:
            return db.execute("DELETE FROM feedback WHERE conversation_id = ?", (conversation_id,)).rowcount

    def export_training_jsonl(self, target: str | os.PathLike | IO[str], include: str = "approved",
                              layout: str = "messages") -> ExportCounts:
        """Write one JSON object per line to a path (replaced atomically) or an open text stream.

        include="approved": training pairs. The assistant turn is the user's corrected answer when
          there is one, else the original answer if rated +1. A thumbs-down without a correction
          has nothing to learn from and is skipped, as are unrated answers. ``layout`` "messages"
          writes chat format, {"messages": [system, user, assistant]}; "prompt-completion" writes
          TRL's conversational {"prompt": [system, user], "completion": [assistant]} (loss on the
          answer only, without an assistant-mask-aware chat template).
        include="all": every rated answer for inspection, {"messages": [system, user, assistant
          (the original answer)], "rating", "ideal_answer", "reason", "message_id", "conversation_id"}.
        """
        if include not in ("approved", "all"):
            raise ValueError(f"include must be 'approved' or 'all', not {include!r}")
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
        rows = [_feedback(r) for r in self._db.query("SELECT * FROM feedback ORDER BY created_at, rowid")]
        counts, skipped, lines = ExportCounts(), Counter(), []
        for fb in rows:
            prompt = [{"role": "system", "content": fb.system_prompt}, {"role": "user", "content": fb.user_prompt}]
            if include == "all":
                record = {"messages": prompt + [{"role": "assistant", "content": fb.answer}], "rating": fb.rating,
                          "ideal_answer": fb.ideal_answer, "reason": fb.reason, "message_id": fb.message_id,
                          "conversation_id": fb.conversation_id}
            else:
                ideal, reason = _completion(fb)
                if ideal is None:
                    skipped[reason] += 1
                    continue
                reply = [{"role": "assistant", "content": ideal}]
                record = {"messages": prompt + reply} if layout == "messages" else {"prompt": prompt, "completion": reply}
            lines.append(_json_line(record))
        counts.written, counts.skipped = len(lines), dict(skipped)
        _write_lines(target, lines)
        return counts


def _completion(fb: Feedback) -> tuple[str | None, str]:
    """The answer to train on, or None and why there is none."""
    if fb.ideal_answer is not None:
        return fb.ideal_answer, ""
    if fb.rating == 1:
        return (fb.answer, "") if fb.answer.strip() else (None, "empty_answer")
    return None, "thumbs_down_without_ideal" if fb.rating == -1 else "unrated_without_ideal"


def _json_line(record: dict) -> str:
    line = json.dumps(record, ensure_ascii=False)  # readable for any language …
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # … unless a lone surrogate (undecodable path bytes) needs \udcXX
        line = json.dumps(record, ensure_ascii=True)
    return line + "\n"


def _write_lines(target: str | os.PathLike | IO[str], lines: list[str]) -> None:
    if not isinstance(target, (str, os.PathLike)):
        target.writelines(lines)
        return
    path = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.writelines(lines)
        os.replace(tmp, path)  # a failed export never leaves half a file behind
    except BaseException:
        os.unlink(tmp)
        raise


def _feedback(r) -> Feedback:
    return Feedback(r["message_id"], r["conversation_id"], from_db(r["question"]), from_db(r["answer"]),
                    r["rating"], from_db(r["system_prompt"]), from_db(r["context"]), from_db(r["user_prompt"]),
                    load_json(r["citations"], []), from_db(r["ideal_answer"]), r["created_at"], r["updated_at"],
                    from_db(r["reason"]))
