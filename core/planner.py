"""Compare what is on disk with the manifest and decide what needs doing.

Only size and mtime are compared here (no file is read, but for the start of a new or changed
file without extension: a mailbox?), so a reconcile of an unchanged library costs one directory walk.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from core.ignore import IgnoreRules
from core.manifest import FAILED, NEEDS_OCR, PENDING, SKIPPED, FileRecord, Manifest
from core.parsing.formats import SUPPORTED_EXTENSIONS
from core.parsing.sniff import is_mailbox_file
from core.scanner import Entry, scan


@dataclass
class Plan:
    check: list[tuple[Entry, str]] = field(default_factory=list)  # (entry, source): read, maybe index
    delete: list[str] = field(default_factory=list)  # paths gone from disk (or now ignored)
    unsupported: list[tuple[Entry, str]] = field(default_factory=list)
    unreadable: list[tuple[Entry, str]] = field(default_factory=list)
    forced: set[str] = field(default_factory=set)  # re-parse even if the content is unchanged

    def __bool__(self) -> bool:
        return bool(self.check or self.delete or self.unsupported or self.unreadable)

    def merge(self, other: "Plan") -> None:
        """Add another plan's work; a file both cover (a changed folder's listing and a file in
        it) is listed once, or it would be read twice."""
        for mine, theirs in ((self.check, other.check), (self.unsupported, other.unsupported),
                             (self.unreadable, other.unreadable)):
            listed = {entry.path for entry, _ in mine}
            mine += [(entry, source) for entry, source in theirs if entry.path not in listed]
        deleting = set(self.delete)
        self.delete += [path for path in other.delete if path not in deleting]
        self.forced |= other.forced


def extension_of(path: str) -> str:
    name = os.path.basename(path).lower()
    return name.rsplit(".", 1)[-1] if "." in name else ""


# Files without extension were all skipped with this reason before mailboxes were recognised.
_OLD_NO_EXTENSION = "unsupported file type (no extension)"


def unsupported_reason(path: str) -> str:
    """The status reason of a file whose type Archivist does not read (decided by its name)."""
    ext = extension_of(path)
    return f"unsupported file type (.{ext})" if ext else "unsupported file type (no extension, and not a mailbox)"


class Planner:
    def __init__(self, manifest: Manifest, extensions: set[str], follow_symlinks: bool = True):
        self.manifest = manifest
        self.extensions = extensions
        self.follow_symlinks = follow_symlinks

    def plan(self, top: str, source: str, rules: IgnoreRules, retry: bool = False, recursive: bool = True) -> Plan:
        """Plan for ``top`` (a source, a folder in it, or one file), which may no longer exist;
        for the files directly in the folder only when not ``recursive``."""
        plan = Plan()
        known = {r.path: r for r in self._known_under(top, recursive)}
        seen: set[str] = set()
        if os.path.lexists(top):
            for entry in scan(top, rules, self.follow_symlinks, recursive):
                seen.add(entry.path)
                self._classify(entry, source, known.get(entry.path), plan, retry)
        for path in known.keys() - seen:
            plan.delete.append(path)
        return plan

    def _known_under(self, top: str, recursive: bool) -> list[FileRecord]:
        records = self.manifest.files_under(top, recursive)
        single = self.manifest.get(top)
        return records + [single] if single else records

    def _reads(self, entry: Entry, record: FileRecord | None) -> bool:
        """Whether the file is of a kind read: by its extension, or, without one, if it is a mailbox
        (Thunderbird keeps each mail folder as one file, "Inbox"), looked at once per change."""
        ext = extension_of(entry.path)
        if ext or "mbox" not in self.extensions:
            return ext in self.extensions
        if (record is not None and (record.size, record.mtime_ns) == (entry.size, entry.mtime_ns)
                and record.reason != _OLD_NO_EXTENSION):
            return record.status != SKIPPED or record.reason != unsupported_reason(entry.path)
        return is_mailbox_file(entry.path)

    @staticmethod
    def _known_kind(path: str) -> bool:
        """A kind the parsers read (not only one the settings name), or a mailbox without extension."""
        ext = extension_of(path)
        return not ext or f".{ext}" in SUPPORTED_EXTENSIONS

    def _classify(self, entry: Entry, source: str, record: FileRecord | None, plan: Plan, retry: bool):
        if entry.error:
            if record is None or record.reason != entry.error:
                plan.unreadable.append((entry, source))
            return
        if not self._reads(entry, record):
            if (record is None or record.status != SKIPPED or record.size != entry.size
                    or record.reason != unsupported_reason(entry.path)):
                plan.unsupported.append((entry, source))
            return
        if record is None or record.status == PENDING:
            plan.check.append((entry, source))
        elif (record.status == SKIPPED and record.reason in (unsupported_reason(entry.path), _OLD_NO_EXTENSION)
              and self._known_kind(entry.path)):
            # Skipped for its type by an older version (or narrower settings) that could not read
            # it (images, mailboxes without extension): the file is the same, but the verdict was
            # about the app. Read it now.
            plan.check.append((entry, source))
            plan.forced.add(entry.path)
        elif (record.size, record.mtime_ns) != (entry.size, entry.mtime_ns):
            plan.check.append((entry, source))
        elif retry and record.status in (FAILED, NEEDS_OCR):
            plan.check.append((entry, source))
            plan.forced.add(entry.path)
        elif record.status == FAILED and record.retry_after and record.retry_after <= time.time():
            plan.check.append((entry, source))
