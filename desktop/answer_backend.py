"""The window's side of answering: engines, streamed answers, conversations and ratings.

One answer at a time streams from a worker thread; tokens, sources and the saved result come back
as signals. "Summarize X" / "compare X and Y" questions read the whole files (core.answer.summarize).
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from core import layout
from core.search import Filters
from desktop.tasks import Tasks

log = logging.getLogger(__name__)


class AnswerBackend(QObject):
    answer_started = Signal(str, str, str)  # conversation id, question message id, question
    evidence_found = Signal(list)  # the evidence card: sentence dicts (path, page, start, end, text)
    sources_found = Signal(list, dict)  # citation dicts (numbered as the model saw them), trace
    token = Signal(str)
    progress = Signal(str, int, int, str)  # whole-document tasks: stage, done, total, label
    answer_finished = Signal(dict)  # message_id, conversation_id, text, citations, status, engine, model
    answer_failed = Signal(str)
    conversations_listed = Signal(list)  # ConversationSummary
    conversation_loaded = Signal(object)  # Conversation

    def __init__(self, tasks: Tasks, index, parent: QObject | None = None):
        super().__init__(parent)
        self.tasks, self.index = tasks, index  # index: desktop.index_backend.IndexBackend
        self.preference, self.model = "auto", None  # engine choice: auto | ollama | embedded
        self.strict = True
        self.filters = Filters()  # the scope every question and regenerate is asked under (desktop/scope_bar.py)
        self._engine = None
        self._engine_key = None
        self._cancel: threading.Event | None = None
        self._answer_lock = threading.Lock()  # one answer at a time: engines are not re-entrant
        data_dir = index.settings.data_dir
        from core.conversations import ConversationStore
        from core.feedback import FeedbackLog

        self.store = ConversationStore(layout.conversations_path(data_dir))
        self.feedback = FeedbackLog(layout.feedback_path(data_dir))

    def close(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
        with self._answer_lock:
            if self._engine is not None and hasattr(self._engine, "close"):
                self._engine.close()
        self.store.close()
        self.feedback.close()

    @property
    def busy(self) -> bool:
        return self._cancel is not None

    # -- engines ----------------------------------------------------------------------------------

    def choose_engine(self, preference: str, model: str | None) -> None:
        self.preference, self.model = preference, model or None

    def engine(self):
        """The engine for the current choice, created on first use (on a worker thread)."""
        from core.llm.select import engine_for

        key = (self.preference, self.model)
        if self._engine is None or self._engine_key != key:
            if self._engine is not None and hasattr(self._engine, "close"):
                self._engine.close()
            self._engine = engine_for(self.preference, self.model)
            self._engine_key = key
        return self._engine

    # -- answering --------------------------------------------------------------------------------

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters

    def ask(self, question: str, conversation_id: str | None) -> None:
        self._cancel = cancel = threading.Event()
        filters = self.filters  # as it is when asked, whatever the scope becomes while it runs
        self.tasks.run(lambda: self._answer(question, conversation_id, cancel, None, filters), None,
                       "answering", on_error=self._failed)

    def regenerate(self, message_id: str) -> None:
        """Answer the same question again (perhaps with another model); the answer is replaced in place."""
        self._cancel = cancel = threading.Event()
        filters = self.filters  # the scope in force now, not the one the answer was first asked under

        def again():
            question, answer = self.store.exchange(message_id)
            return self._answer(question.content, answer.conversation_id, cancel, answer.id, filters)
        self.tasks.run(again, None, "answering again", on_error=self._failed)

    def stop(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def _failed(self, exc: Exception) -> None:
        self._cancel = None
        self.answer_failed.emit(str(exc) or type(exc).__name__)

    def _answer(self, question: str, conversation_id: str | None, cancel: threading.Event,
                replace_id: str | None, filters: Filters) -> None:
        from core.answer.route import files_to_read_whole
        from core.style.apply import apply_house_style

        gui = self.tasks.gui
        with self._answer_lock:
            archivist = self.index.archivist
            if conversation_id is None:
                conversation_id = self.store.create().id
            history = self._history(conversation_id, replace_id)
            if replace_id is None:
                asked = self.store.add_message(conversation_id, "user", question)
                self.store.auto_title(conversation_id)
                gui(lambda: self.answer_started.emit(conversation_id, asked.id, question))
            else:  # a rating of the old answer says nothing of the new one
                self.feedback.delete(replace_id)
            engine = self.engine()
            # The active house style where it fits, checked before each answer: a switch takes effect at once.
            apply_house_style(engine, self.index.settings.data_dir)
            whole = files_to_read_whole(archivist, question)
            if whole:  # the named files are read whole: a scope does not narrow them
                saved, error = self._summarize(archivist, engine, whole, question, conversation_id, cancel,
                                               replace_id)
            else:
                saved, error = self._ask(archivist, engine, question, history, conversation_id, cancel,
                                         replace_id, filters)
        result = {"message_id": saved.id, "conversation_id": conversation_id, "text": saved.content,
                  "citations": saved.citations, "status": saved.status, "engine": saved.engine,
                  "model": saved.model, "trace": saved.trace or {}, "replaced": replace_id is not None,
                  "error": error}
        gui(lambda: self._finished(result))

    def _finished(self, result: dict) -> None:
        self._cancel = None
        self.answer_finished.emit(result)
        self.list_conversations()

    def _history(self, conversation_id: str, before_id: str | None) -> list:
        from core.llm.base import ChatMessage

        conversation = self.store.get(conversation_id)
        messages = conversation.messages if conversation else []
        if before_id is not None:  # regenerating: what came before that answer's question
            cut = next(i for i, m in enumerate(messages) if m.id == before_id)
            messages = messages[: max(0, cut - 1)]
        return [ChatMessage(m.role, m.content) for m in messages if m.status != "refused"]

    def _ask(self, archivist, engine, question, history, conversation_id, cancel, replace_id, filters):
        from core.answer.pipeline import Answered, EvidenceFound, Retrieved, Token, ask
        from core.history import save_answer

        gui = self.tasks.gui
        retrieved = done = None
        for event in ask(archivist, engine, question, history, strict=self.strict, filters=filters,
                         cancel=cancel):
            if isinstance(event, EvidenceFound):
                card = [_sentence_dict(s) for s in event.sentences]
                gui(lambda: self.evidence_found.emit(card))
            elif isinstance(event, Retrieved):
                retrieved = event
                sources = [_citation_dict(s) for s in event.sources]
                gui(lambda trace=event.trace: self.sources_found.emit(sources, trace))
            elif isinstance(event, Token):
                gui(lambda piece=event.text: self.token.emit(piece))
            elif isinstance(event, Answered):
                done = event
        return save_answer(self.store, conversation_id, retrieved, done, replace_id), done.error

    def _summarize(self, archivist, engine, paths, question, conversation_id, cancel, replace_id):
        from core.answer.pipeline import Token
        from core.answer.summarize import Progress, Summarized, summarize
        from core.history import save_summary

        gui = self.tasks.gui
        done = None
        for event in summarize(archivist, engine, paths, question, cancel=cancel):
            if isinstance(event, Progress):
                gui(lambda e=event: self.progress.emit(e.stage, e.done, e.total, e.label))
            elif isinstance(event, Token):
                gui(lambda piece=event.text: self.token.emit(piece))
            elif isinstance(event, Summarized):
                done = event
        return save_summary(self.store, conversation_id, done, replace_id), getattr(done, "error", "")

    # -- conversations and ratings -------------------------------------------------------------------

    def list_conversations(self) -> None:
        self.tasks.run(self.store.list, self.conversations_listed.emit, "listing conversations")

    def load(self, conversation_id: str) -> None:
        self.tasks.run(lambda: self.store.get(conversation_id), self.conversation_loaded.emit,
                       "opening a conversation")

    def rename(self, conversation_id: str, title: str) -> None:
        self.tasks.run(lambda: self.store.rename(conversation_id, title), lambda _: self.list_conversations(),
                       "renaming a conversation")

    def delete(self, conversation_id: str) -> None:
        def delete():
            self.store.delete(conversation_id)
            self.feedback.delete_conversation(conversation_id)
        self.tasks.run(delete, lambda _: self.list_conversations(), "deleting a conversation")

    def export(self, conversation_id: str, path: str, fmt: str, on_done) -> None:
        import json
        from pathlib import Path

        def export():
            data = (self.store.export_markdown(conversation_id) if fmt == "markdown"
                    else json.dumps(self.store.export_json(conversation_id), indent=2))
            Path(path).write_text(data, encoding="utf-8")
            return path
        self.tasks.run(export, on_done, "exporting a conversation")

    def rate(self, message_id: str, rating: int, ideal: str | None = None, on_done=None) -> None:
        from core.history import rate_answer

        self.tasks.run(lambda: rate_answer(self.store, self.feedback, message_id, rating, ideal), on_done,
                       "saving your rating")

    def set_ideal(self, message_id: str, text: str, on_done=None) -> None:
        """The ideal answer keeps any thumbs already given (neutral when there was none)."""
        def save():
            from core.history import rate_answer

            existing = self.feedback.get(message_id)
            return rate_answer(self.store, self.feedback, message_id, existing.rating if existing else 0, text)
        self.tasks.run(save, on_done, "saving the ideal answer")


def _citation_dict(source) -> dict:
    hit = source.hit
    return {"n": source.n, "path": hit.path, "kind": hit.kind, "page": hit.page, "heading": hit.heading,
            "start": hit.start, "end": hit.end, "snippet": " ".join(hit.text.split())[:300], "text": hit.text, "score": hit.score,
            "similarity": hit.similarity, "text_rank": hit.text_rank, "found_by": list(hit.found_by),
            "also_in": [list(place) for place in hit.also_in]}


def _sentence_dict(sentence) -> dict:
    return {"path": sentence.path, "kind": sentence.kind, "page": sentence.page, "heading": sentence.heading,
            "start": sentence.start, "end": sentence.end, "text": sentence.text}
