"""Serve a house style through Ollama: the adapter uploaded as a blob, then a model created from the
pristine base with exactly that one adapter (OLLAMA_AND_LORA.md §2 and §6).

Ollama checks nothing about adapters. ``create`` copies every layer of its ``from`` model, adapters
included, and appends the new one: a style created from a styled model runs with both. It does not
check the base either: an adapter on other weights of the same shape loads and answers erratically.
So the base is first resolved to a model without adapters, pinned by the sha256 of its GGUF blob
(the one the style was trained on, or refused), and ``/api/show`` of the result must list exactly
one ADAPTER, the uploaded one. No SYSTEM or TEMPLATE is set: the styled model inherits the base's
template, and Archivist sends its own system message, so prompts stay byte-identical to training.

What was registered is kept beside the style (``styles/vN/ollama.json``: per Ollama host, per base
model, the styled model and the base's sha256), and checked against Ollama before it answers.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import filelock

from core.llm.base import EngineError, ModelMissing
from core.llm.ollama_engine import OllamaEngine, same_model
from core.style.digests import FileDigests
from core.style.errors import StyleError
from core.style.manifest import now_rfc3339, write_json_atomically
from core.style.registry import Style
from core.style.verify import base_mismatch_message, verify_adapter

log = logging.getLogger(__name__)

STYLED_SUFFIX = "-house-style-v"
ADAPTER_FILE_NAME = "adapter.gguf"
REGISTRATIONS_FILE = "ollama.json"
_BLOB_NAME = re.compile(r"sha256[-:]([0-9a-fA-F]{64})")  # Ollama's blobs are named by their digest
_STYLED_NAME = re.compile(r"(.+)" + re.escape(STYLED_SUFFIX) + r"[0-9]+")
# Styles checked with /api/show (~0.2 s for SmolLM2 in the stand-in, which parses the GGUF header),
# by (host, model, styled model, base sha256, adapter sha256): the two models' manifest digests then.
# Before each answer one /api/tags says whether either model changed since (a new pull or create
# gives a new manifest digest), so the check is repeated only when it could fail.
_verified: dict[tuple, tuple] = {}


class OtherBase(StyleError):
    """The Ollama model runs on other weights than the style was trained on."""


@dataclass(frozen=True)
class Modelfile:
    """The parts of ``/api/show``'s modelfile that say which weights run: FROM and ADAPTER paths."""

    model: str
    adapters: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Modelfile":
        model, adapters, in_block = "", [], False
        for line in text.splitlines():
            opens_or_closes = line.count('"""') % 2 == 1
            if in_block or opens_or_closes:  # a multi-line """…""" TEMPLATE, SYSTEM, MESSAGE: text
                in_block = in_block != opens_or_closes
                continue
            command, _, argument = line.strip().partition(" ")
            if command.upper() == "FROM":
                model = argument.strip()
            elif command.upper() == "ADAPTER":
                adapters.append(argument.strip())
        return cls(model, tuple(adapters))


@dataclass(frozen=True)
class OllamaStyle:
    model: str           # the styled model that answers: e.g. "smollm2:135m-house-style-v3"
    base: str            # the pristine base it was created from
    requested_base: str  # the model asked for (a styled one is resolved to its pristine base)
    base_sha256: str
    adapter_sha256: str


def styled_model_name(base: str, version: int) -> str:
    """Predictable: "smollm2:135m" -> "smollm2:135m-house-style-v3", "llama3.2" -> "llama3.2-house-style-v3"."""
    base = base[: -len(":latest")] if base.endswith(":latest") else base
    return f"{base}{STYLED_SUFFIX}{version}"


def blob_sha256(path: str) -> str | None:
    match = _BLOB_NAME.fullmatch(Path(path.replace("\\", "/")).name)
    return match.group(1).lower() if match else None


class OllamaStyles:
    def __init__(self, engine: OllamaEngine, digests: FileDigests | None = None):
        self.engine = engine
        self.digests = digests or FileDigests()

    def register(self, style: Style, base: str) -> OllamaStyle:
        """Create ``styled_model_name(base, style.version)`` in Ollama: StyleError unless it ends up
        on the weights the style was trained on, with exactly this one adapter."""
        verify_adapter(style)
        pristine, modelfile = self.pristine_base(base)
        base_sha = self.model_sha256(pristine, modelfile)
        if base_sha != style.manifest.base.sha256:
            raise OtherBase(base_mismatch_message(style, f"Ollama's {pristine}", base_sha))
        name = styled_model_name(pristine, style.version)
        client = self.engine.client
        digest = self._call(f"upload {style.label}", client.create_blob, style.adapter_path)
        if digest != "sha256:" + style.manifest.adapter_sha256:
            raise StyleError(f"Ollama at {self.engine.host} stored {style.label}'s adapter as {digest}, "
                             f"not as the registered file (sha256 {style.manifest.adapter_sha256[:12]}…).")
        self._call(f"create {name}", lambda: list(client.create(
            model=name, from_=pristine, adapters={ADAPTER_FILE_NAME: digest}, stream=True)))
        self._check_created(name, style, modelfile)
        log.info("%s is served by Ollama as %s (from %s)", style.label, name, pristine)
        served = OllamaStyle(name, pristine, base, base_sha, style.manifest.adapter_sha256)
        self._remember(style, served)
        return served

    def serving(self, style: Style, model: str) -> str:
        """The model that answers with ``style`` when ``model`` is asked for: the one registered for
        it, after checking with Ollama that ``model`` still has the weights the style was trained on
        and the styled model exactly the style's adapter on them. StyleError says why not."""
        hosts = self.registrations(style).get(self.engine.host)
        entry = next((e for base, e in hosts.items() if same_model(base, model) and isinstance(e, dict)),
                     None) if isinstance(hosts, dict) else None
        if entry is None or not isinstance(entry.get("model"), str):
            raise StyleError(f"{style.label} is not registered with Ollama at {self.engine.host} for "
                             f"{model}: `archivist-cli style use {style.version} --model {model}` registers it")
        styled = entry["model"]
        key = (self.engine.host, model, styled, style.manifest.base.sha256, style.manifest.adapter_sha256)
        installed = self._call("list its models", self.engine.list_raw_models)
        digests = tuple(next((m.digest for m in installed if same_model(m.model or "", name)), None)
                        for name in (model, styled))
        if None not in digests and _verified.get(key) == digests:
            return styled
        self._check_serving(style, model, styled)
        _verified[key] = digests
        return styled

    @staticmethod
    def registrations(style: Style) -> dict:
        """{host: {base model: {"model": styled model, "base_sha256": …, "registered_at": …}}}."""
        try:
            data = json.loads((style.folder / REGISTRATIONS_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            log.warning("%s's Ollama registrations cannot be read (%s); registering again fixes it", style.label, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def pristine_base(self, model: str) -> tuple[str, Modelfile]:
        """``model`` if it carries no adapter; else an installed model with the same weights and no
        adapter (the name it was styled from first); else StyleError."""
        modelfile = self.modelfile(model)
        if not modelfile.adapters:
            return model, modelfile
        for candidate in self._candidates(model):
            try:
                found = self.modelfile(candidate)
            except StyleError as exc:
                if isinstance(exc.__cause__, ModelMissing):
                    continue
                raise
            if not found.adapters and self._same_weights(candidate, found, model, modelfile):
                log.info("%s carries an adapter; creating from its pristine base %s", model, candidate)
                return candidate, found
        raise StyleError(f"Ollama's {model} already carries a LoRA adapter, and creating a style from "
                         "it would stack a second one. No installed model has the same weights without "
                         "an adapter: download the original model again (archivist-cli models pull) and "
                         "register the style on it.")

    def model_sha256(self, model: str, modelfile: Modelfile | None = None) -> str:
        """The sha256 of the model's GGUF: the name of its blob (Ollama stores blobs by digest), or
        the file hashed when it is readable on this computer. (/api/tags' digest is the manifest's.)"""
        modelfile = modelfile or self.modelfile(model)
        digest = blob_sha256(modelfile.model)
        if digest:
            return digest
        try:
            return self.digests.sha256(modelfile.model)
        except (OSError, ValueError) as exc:
            raise StyleError(f"Cannot tell which weights Ollama's {model} has: its model file "
                             f"({modelfile.model or 'not listed'}) is not named by its sha256 and "
                             "cannot be read on this computer.") from exc

    def modelfile(self, model: str) -> Modelfile:
        shown = self._call(f"look at {model}", self.engine.client.show, model, model=model)
        return Modelfile.parse(shown.modelfile or "")

    def remove(self, model: str) -> None:
        """Delete a styled model from Ollama (its base and the shared blobs stay)."""
        self._call(f"remove {model}", self.engine.client.delete, model, model=model)

    # -- internals ---------------------------------------------------------------------------------
    def _check_serving(self, style: Style, model: str, styled: str) -> None:
        wanted = style.manifest.base.sha256
        now = self.model_sha256(model)
        if now != wanted:
            raise OtherBase(base_mismatch_message(style, f"Ollama's {model} as it is now", now))
        try:
            created = self.modelfile(styled)
        except StyleError as exc:
            raise StyleError(f"{styled}, registered for {style.label}, cannot be used ({exc}); "
                             f"`archivist-cli style use {style.version}` registers it again") from exc
        adapters = [blob_sha256(a) for a in created.adapters]
        if adapters not in ([style.manifest.adapter_sha256], [None]) or self.model_sha256(styled, created) != wanted:
            raise StyleError(f"Ollama's {styled} is no longer {style.label} on {model} (it now has "
                             f"{len(adapters)} adapter(s) or other weights); `archivist-cli style use "
                             f"{style.version}` registers it again")

    def _remember(self, style: Style, served: OllamaStyle) -> None:
        try:
            with filelock.FileLock(str(style.folder / ".ollama.lock"), timeout=30):
                data = self.registrations(style)
                if not isinstance(data.get(self.engine.host), dict):
                    data[self.engine.host] = {}
                data[self.engine.host][served.base] = {
                    "model": served.model, "base_sha256": served.base_sha256, "registered_at": now_rfc3339()}
                write_json_atomically(style.folder / REGISTRATIONS_FILE, data)
        except (OSError, filelock.Timeout) as exc:
            raise StyleError(f"Ollama serves {style.label} as {served.model}, but Archivist could not note "
                             f"it in {style.folder} ({exc}), so answers will not use it yet") from exc

    def _candidates(self, model: str):
        tried = {model}
        styled = _STYLED_NAME.fullmatch(model.removesuffix(":latest"))
        if styled:
            tried.add(styled.group(1))
            yield styled.group(1)
        installed = self._call("list its models", self.engine.list_raw_models)
        for entry in installed:
            name = entry.model or ""
            if name and not any(same_model(name, seen) for seen in tried):
                tried.add(name)
                yield name

    def _same_weights(self, a: str, a_file: Modelfile, b: str, b_file: Modelfile) -> bool:
        if a_file.model == b_file.model:
            return True
        return self.model_sha256(a, a_file) == self.model_sha256(b, b_file)

    def _check_created(self, name: str, style: Style, base: Modelfile) -> None:
        created = self.modelfile(name)
        wanted = style.manifest.adapter_sha256
        problem = None
        if len(created.adapters) != 1:
            problem = f"{len(created.adapters)} adapters instead of exactly one"
        elif blob_sha256(created.adapters[0]) not in (None, wanted):
            problem = f"another adapter ({created.adapters[0]}) than the uploaded one"
        elif created.model != base.model:
            problem = f"other weights ({created.model}) than its base ({base.model})"
        if problem:
            try:
                self.remove(name)
            except StyleError as exc:
                log.warning("could not remove the faulty %s: %s", name, exc)
            raise StyleError(f"Ollama at {self.engine.host} created {name} with {problem}, so it was "
                             f"removed again; {style.label} is not served through Ollama.")

    def _call(self, doing: str, fn, *args, model: str | None = None):
        try:
            return self.engine.call(fn, *args, model=model)
        except EngineError as exc:
            raise StyleError(f"Could not {doing} in Ollama: {exc}") from exc
