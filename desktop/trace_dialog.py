"""'Why these sources?': what was retrieved for an answer, by which search and how strongly, what
was cut to fit the model's window, what the check of the answer found, and the prompt exactly as
the model received it."""

from __future__ import annotations

import json
import os

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from core.manifest import display_path
from core.match_strength import describe_match
from core.scope_summary import from_trace, summary

COLUMNS = ["#", "File", "Page", "Match", "Found by"]
SEARCH_NAMES = {"vector": "meaning", "text": "exact words"}


class TraceDialog(QDialog):
    def __init__(self, trace: dict, sources: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Why these sources?")
        self.setAccessibleName("Retrieval trace")
        self.resize(760, 520)
        tabs = QTabWidget()
        tabs.addTab(self._sources_tab(trace, sources), "Sources")
        prompt = trace.get("prompt") or {}
        text = QPlainTextEdit(readOnly=True)
        text.setAccessibleName("Prompt sent to the model")
        text.setPlainText(f"[system]\n{prompt.get('system', '')}\n\n[user]\n{prompt.get('user', '')}"
                          if prompt else "Not recorded for this answer.")
        tabs.addTab(text, "Prompt sent")
        raw = QPlainTextEdit(readOnly=True)
        raw.setAccessibleName("Full trace")
        raw.setPlainText(json.dumps({k: v for k, v in trace.items() if k != "prompt"}, indent=2, default=str))
        tabs.addTab(raw, "Details")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    def _sources_tab(self, trace: dict, sources: list[dict]) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        overview = QLabel(self._summary(trace))
        overview.setWordWrap(True)
        layout.addWidget(overview)
        table = QTableWidget(len(sources), len(COLUMNS))
        table.setAccessibleName("Retrieved passages")
        table.setHorizontalHeaderLabels(COLUMNS)
        table.verticalHeader().hide()
        for row, s in enumerate(sources):
            path = display_path(str(s.get("path", "")))  # Qt drops bytes that are not UTF-8
            values = [s.get("n", row + 1), os.path.basename(path), s.get("page") or "",
                      describe_match(s), " + ".join(SEARCH_NAMES.get(f, f) for f in s.get("found_by", []))]
            for column, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                item.setToolTip(path if column == 1 else (s.get("snippet") or "")[:300])
                table.setItem(row, column, item)
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(table)
        return page

    @staticmethod
    def _summary(trace: dict) -> str:
        if trace.get("task"):
            return (f"Whole-document {trace['task']}: {trace.get('passages', '?')} passages read in "
                    f"{trace.get('parts', '?')} parts from {len(trace.get('files', []))} file(s)."
                    + (f" {trace['caveat']}" if trace.get("caveat") else ""))
        timings = trace.get("timings", {})
        parts = [f"Searched for: “{trace.get('query', '')}”"]
        if timings:
            parts.append(f"retrieval {timings.get('total_ms', '?')} ms")
        if "prompt_tokens" in trace:
            parts.append(f"prompt {trace['prompt_tokens']} of {trace.get('context_tokens', '?')} tokens")
        if trace.get("cut"):
            parts.append(f"{trace['cut']} passage(s) left out for lack of room")
        if "claims_checked" in trace:
            parts.append(f"{trace['claims_checked']} fact(s) of the answer checked, "
                         f"{trace.get('claims_flagged', 0)} not in the sources")
        if trace.get("strict") and not trace.get("relevant", True):
            parts.append("nothing relevant enough: strict mode did not let the model answer")
        if trace.get("text_search_error"):
            parts.append(str(trace["text_search_error"]))  # exact words were not searched this time
        narrowed = summary(from_trace(trace.get("filters")), full_paths=True)
        return (f"Searched only: {narrowed}\n" if narrowed else "") + " · ".join(parts)
