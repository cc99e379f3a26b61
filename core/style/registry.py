"""The trained house styles kept in the data folder, one folder per version, and which one answers.

    styles/
      v1/ v2/ …          adapter.gguf + manifest.json; a version number is never given out twice
      state.json         {"active": 3, "previous": 2, "last_version": 3}: what answers, what revert()
                         goes back to (null = no style), the highest number ever given out
      base-digests.json  sha256 of base GGUFs by (path, size, mtime) (core/style/digests.py)

A version folder appears whole (built under a staging name, then renamed) and leaves whole (renamed
away, then deleted), so a reader never sees half a style. Changes take a lock file, so two
processes (the window and the CLI) cannot hand out the same version or lose a switch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import filelock

from core.layout import styles_dir
from core.style.digests import FileDigests, file_sha256
from core.style.errors import StyleError
from core.style.manifest import StyleManifest, now_rfc3339, write_json_atomically
from core.style.verify import AdapterInfo, read_lora_adapter, verify as verify_style, verify_adapter

log = logging.getLogger(__name__)

ADAPTER_FILE, MANIFEST_FILE, STATE_FILE = "adapter.gguf", "manifest.json", "state.json"
DEFAULT_KEEP_UNUSED = 5
_VERSION_DIR = re.compile(r"v([1-9][0-9]*)")


@dataclass(frozen=True)
class Style:
    folder: Path
    manifest: StyleManifest

    @property
    def version(self) -> int:
        return self.manifest.version

    @property
    def adapter_path(self) -> Path:
        return self.folder / ADAPTER_FILE

    @property
    def label(self) -> str:
        """How answers name it: "house style v3"."""
        return f"{self.manifest.name} v{self.version}"


@dataclass
class _State:
    active: int | None = None
    previous: int | None = None
    can_revert: bool = False  # "previous" may legitimately be None (no style), so it needs a flag
    last_version: int = 0


class StyleRegistry:
    def __init__(self, data_dir: Path, keep_unused: int = DEFAULT_KEEP_UNUSED):
        self.root = styles_dir(Path(data_dir))
        self.keep_unused = keep_unused
        self.digests = FileDigests(self.root / "base-digests.json")

    # -- reading -----------------------------------------------------------------------------------
    def list(self) -> list[Style]:
        """Every intact style, oldest first; a folder whose manifest cannot be read is skipped."""
        styles = []
        for version in self._versions():
            try:
                styles.append(self.get(version))
            except StyleError as exc:
                log.warning("skipping a damaged style: %s", exc)
        return styles

    def get(self, version: int) -> Style:
        folder = self.root / f"v{version}"
        if not folder.is_dir():
            known = ", ".join(f"v{v}" for v in self._versions()) or "none yet"
            raise StyleError(f"There is no house style v{version} (styles: {known}).")
        manifest = StyleManifest.read(folder / MANIFEST_FILE)
        if manifest.version != version:
            raise StyleError(f"{folder / MANIFEST_FILE} says version {manifest.version}, not {version}")
        return Style(folder, manifest)

    def active(self) -> Style | None:
        """The style that answers, or None. A style that disappeared or broke answers as none."""
        version = self._read_state().active
        if version is None:
            return None
        try:
            return self.get(version)
        except StyleError as exc:
            log.warning("the active house style cannot be used: %s", exc)
            return None

    def can_revert(self) -> bool:
        """Whether revert() has an earlier choice to go back to."""
        return self._read_state().can_revert

    def verify(self, style: Style, base_path: str | os.PathLike) -> AdapterInfo:
        """StyleError unless ``base_path`` is the GGUF the style was trained on and its adapter is
        intact; the base's sha256 is remembered, so this is cheap before every answer."""
        return verify_style(style, base_path, self.digests)

    # -- changing ----------------------------------------------------------------------------------
    def register(self, adapter_path: str | os.PathLike, manifest: StyleManifest) -> Style:
        """Keep a copy of the adapter as the next version; the manifest gets its version, time and
        the adapter's sha256 and size. Older unused versions beyond ``keep_unused`` are removed."""
        adapter_path = Path(adapter_path)
        read_lora_adapter(adapter_path)  # refuse a damaged file or a model before copying anything
        with self._lock():
            self._clear_staging()
            state = self._read_state()
            version = max([state.last_version, *self._versions()]) + 1
            staging = self.root / f".staging-{uuid.uuid4().hex}"
            staging.mkdir()
            try:
                copied = staging / ADAPTER_FILE
                shutil.copyfile(adapter_path, copied)
                read_lora_adapter(copied)
                digest, size = file_sha256(copied), copied.stat().st_size
                if manifest.adapter_sha256 and manifest.adapter_sha256 != digest:
                    raise StyleError(f"{adapter_path.name} is not the adapter its manifest describes "
                                     f"(sha256 {digest[:12]}… instead of {manifest.adapter_sha256[:12]}…)")
                manifest = dataclasses.replace(manifest, version=version, adapter_sha256=digest,
                                               adapter_size=size, created_at=manifest.created_at or now_rfc3339())
                manifest.write(staging / MANIFEST_FILE)
                _fsync_dir(staging)
                os.rename(staging, self.root / f"v{version}")
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            _fsync_dir(self.root)
            state.last_version = version
            self._write_state(state)
            self._prune(state)
        return self.get(version)

    def use(self, version: int | None) -> Style | None:
        """Answer with this style from now on (None: with no style); revert() goes back."""
        with self._lock():
            style = self.get(version) if version is not None else None
            if style is not None:
                verify_adapter(style)  # switching to a damaged adapter would only fail later
            state = self._read_state()
            if state.active != version:
                state.previous, state.active, state.can_revert = state.active, version, True
                self._write_state(state)
            return style

    def revert(self) -> Style | None:
        """Back to the style used before the last switch (which may be no style), in one step."""
        with self._lock():
            state = self._read_state()
            if not state.can_revert:
                raise StyleError("There is no earlier house style to go back to.")
            target = state.previous
            style = self.get(target) if target is not None else None
            state.previous, state.active = state.active, target
            self._write_state(state)
            return style

    def remove(self, version: int, force: bool = False) -> None:
        """Delete a version; the one in use only with ``force`` (answers then use no style)."""
        with self._lock():
            style = self.get(version)
            state = self._read_state()
            if state.active == version:
                if not force:
                    raise StyleError(f"{style.label} is in use. Switch to another style (or to none) "
                                     "first, or remove it anyway (force).")
                state.active = None
            if state.previous == version:
                state.previous, state.can_revert = None, False
            self._write_state(state)  # first: a crash in between leaves a harmless stray folder
            self._delete(version)

    def record_evaluation(self, version: int, scores: dict | None = None, gate: dict | None = None) -> Style:
        """Store evaluation scores (merged into those already kept) and the gate's verdict."""
        with self._lock():
            style = self.get(version)
            manifest = dataclasses.replace(style.manifest, scores={**style.manifest.scores, **(scores or {})},
                                           gate=gate if gate is not None else style.manifest.gate)
            manifest.write(style.folder / MANIFEST_FILE)
            return Style(style.folder, manifest)

    # -- internals ---------------------------------------------------------------------------------
    def _versions(self) -> list[int]:
        try:
            names = os.listdir(self.root)
        except OSError:
            return []
        return sorted(int(m.group(1)) for n in names if (m := _VERSION_DIR.fullmatch(n)))

    def _prune(self, state: _State) -> None:
        """Keep the newest ``keep_unused`` versions besides the active one and revert()'s target."""
        in_use = {state.active, state.previous}
        unused = [v for v in reversed(self._versions()) if v not in in_use]
        for version in unused[self.keep_unused:]:
            log.info("removing house style v%d (keeping the last %d unused)", version, self.keep_unused)
            self._delete(version)

    def _delete(self, version: int) -> None:
        doomed = self.root / f".removed-v{version}-{uuid.uuid4().hex}"
        os.rename(self.root / f"v{version}", doomed)  # gone at once for readers
        shutil.rmtree(doomed, ignore_errors=True)

    def _clear_staging(self) -> None:
        """Leftovers of a register() or remove() that was killed half-way (we hold the lock)."""
        for name in os.listdir(self.root):
            if name.startswith((".staging-", ".removed-")):
                shutil.rmtree(self.root / name, ignore_errors=True)

    @contextlib.contextmanager
    def _lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with filelock.FileLock(str(self.root / ".lock"), timeout=30):
                yield
        except filelock.Timeout as exc:
            raise StyleError("Another Archivist window or command is changing the house styles; "
                             "try again when it has finished.") from exc

    def _read_state(self) -> _State:
        try:
            data = json.loads((self.root / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _State()
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            log.warning("the house-style state file is unreadable (%s); using no style", exc)
            return _State(last_version=max(self._versions(), default=0))

        def version(key: str) -> int | None:
            value = data.get(key) if isinstance(data, dict) else None
            return value if isinstance(value, int) and value > 0 else None

        return _State(active=version("active"), previous=version("previous"),
                      can_revert=isinstance(data, dict) and "previous" in data,
                      last_version=version("last_version") or 0)

    def _write_state(self, state: _State) -> None:
        data: dict = {"active": state.active, "last_version": state.last_version}
        if state.can_revert:
            data["previous"] = state.previous
        write_json_atomically(self.root / STATE_FILE, data)


def _fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (POSIX; Windows has no directory handles)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
