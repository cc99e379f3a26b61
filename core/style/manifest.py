"""What a trained house style is: the manifest kept beside its adapter (``manifest.json``).

It records what decides whether the adapter may be applied at all (the sha256 of the base GGUF it
was trained on, the chat template its prompts were rendered with) and what is needed to judge or
reproduce it (dataset hash, example counts, hyper-parameters, evaluation scores, the gate's verdict).
"""

from __future__ import annotations

import datetime
import json
import os
import re
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from core.style.errors import StyleError

FORMAT = 1  # bumped when a field changes meaning; readers refuse a newer format
DEFAULT_NAME = "house style"
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BaseModelRef:
    name: str       # as the user knows it: "smollm2-135m" (built-in) or "qwen2.5:0.5b" (Ollama)
    file_name: str  # the GGUF the style was trained on
    sha256: str     # of that file's bytes: the identity of the weights


@dataclass(frozen=True)
class TrainingParameters:
    rank: int
    alpha: float
    dropout: float
    learning_rate: float
    epochs: int
    steps: int
    max_length: int
    seed: int
    target_modules: tuple[str, ...]


@dataclass(frozen=True)
class StyleManifest:
    base: BaseModelRef
    chat_template: str  # "chatml", or the sha256 of the GGUF's own template (ChatFormat.template_sha256)
    dataset_sha256: str
    train_examples: int
    validation_examples: int
    training: TrainingParameters
    name: str = DEFAULT_NAME
    version: int = 0          # set by StyleRegistry.register
    created_at: str = ""      # RFC 3339 UTC; set by register when empty
    adapter_sha256: str = ""  # set by register from the file it keeps
    adapter_size: int = 0
    scores: dict = field(default_factory=dict)  # evaluation results, filled in after comparing
    gate: dict | None = None  # the gate's verdict; None until the style has been evaluated
    examples_sha256: str = ""  # of the user's examples trained on, without the rehearsed answers
    rehearsed: tuple[str, ...] = ()  # the earlier questions whose answers it rehearsed: never asked to judge it

    def to_json(self) -> dict:
        data = asdict(self)
        data["training"]["target_modules"] = list(self.training.target_modules)
        data["rehearsed"] = list(self.rehearsed)
        return {"format": FORMAT, **data}

    @classmethod
    def from_json(cls, data: object, where: str = "the manifest") -> "StyleManifest":
        if not isinstance(data, dict):
            raise StyleError(f"{where} is not a style manifest (a JSON object was expected)")
        if not isinstance(data.get("format"), int) or data["format"] > FORMAT:
            raise StyleError(f"{where} has format {data.get('format')!r}; this version of Archivist "
                             f"reads format {FORMAT} or older. Update Archivist to use this style.")
        base, training = data.get("base"), data.get("training")
        if isinstance(training, dict) and isinstance(training.get("target_modules"), list):
            training = {**training, "target_modules": tuple(training["target_modules"])}
        if isinstance(data.get("rehearsed"), list):
            data = {**data, "rehearsed": tuple(data["rehearsed"])}
        manifest = _build(cls, {**data, "base": _build(BaseModelRef, base, where),
                                "training": _build(TrainingParameters, training, where)}, where)
        for label, value in (("base sha256", manifest.base.sha256), ("adapter sha256", manifest.adapter_sha256)):
            if value and not (isinstance(value, str) and _SHA256.fullmatch(value)):
                raise StyleError(f"{where}: the {label} {value!r} is not a sha256 digest")
        if not isinstance(manifest.version, int) or not isinstance(manifest.scores, dict):
            raise StyleError(f"{where}: 'version' must be a number and 'scores' an object")
        return manifest

    def write(self, path: str | os.PathLike) -> None:
        write_json_atomically(Path(path), self.to_json())

    @classmethod
    def read(cls, path: str | os.PathLike) -> "StyleManifest":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise StyleError(f"the style manifest {path} cannot be read: {exc}") from exc
        return cls.from_json(data, where=str(path))


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_json_atomically(path: Path, data: dict) -> None:
    """Readers see the old file or the new one, never half of one (even after a power cut)."""
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    try:
        with open(staging, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def _build(cls, data: object, where: str):
    """cls(**data), ignoring keys a newer Archivist may add; a missing key is a clear error."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise StyleError(f"{where}: '{cls.__name__}' must be a JSON object")
    known = {f.name for f in fields(cls)}
    try:
        return cls(**{key: value for key, value in data.items() if key in known})
    except TypeError as exc:  # a required field is missing
        missing = sorted(f.name for f in fields(cls) if f.name not in data)
        raise StyleError(f"{where} is incomplete: {', '.join(missing) or exc} missing") from exc
