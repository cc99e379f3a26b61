"""Choose llama.cpp's CPU code for this machine at run time (runs inside the engine process).

Archivist builds llama.cpp portably (scripts/build_llama.py): no ``-march=native``, and with
runtime dispatch each instruction-set level (x64, SSE4.2, AVX, AVX2, AVX-512 …) is its own
``libggml-cpu-<variant>`` library. Each library scores itself on this CPU (0 = cannot run here);
the best one is loaded. Variants with AMX are never built nor loaded: on CPUs that advertise AMX,
llama.cpp's AMX path dies with SIGILL on its worker threads (llama.cpp PR #26954).

``ARCHIVIST_CPU_VARIANT=haswell`` forces one variant (for measurement, or a CPU whose
hypervisor hides what CPUID shows). A build with the CPU code linked in needs none of this.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

UNSAFE_VARIANTS = ("sapphirerapids",)  # AMX: see the module docstring
_SUFFIX = {"win32": ".dll", "darwin": ".so"}.get(sys.platform, ".so")


def library_dir() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "lib"


def variants(lib_dir: Path | None = None) -> dict[str, Path]:
    """The CPU variants this build has, by name (empty for a build without runtime dispatch)."""
    lib_dir = lib_dir or library_dir()
    if lib_dir is None:
        return {}
    prefix = "ggml-cpu-" if sys.platform == "win32" else "libggml-cpu-"
    return {p.name[len(prefix):-len(_SUFFIX)]: p for p in sorted(lib_dir.glob(f"{prefix}*{_SUFFIX}"))}


def scores(found: dict[str, Path]) -> dict[str, int]:
    """Each variant's own verdict for this CPU: 0 when it cannot run here, higher is better."""
    out = {}
    if found:  # the variants name libggml-base by its soname and carry no search path: load it first
        base = _library(next(iter(found.values())).parent, "ggml-base")
        if base is not None:
            ctypes.CDLL(str(base), mode=ctypes.RTLD_GLOBAL)
    for name, path in found.items():
        try:
            lib = ctypes.CDLL(str(path))
            lib.ggml_backend_score.restype = ctypes.c_int
            out[name] = int(lib.ggml_backend_score())
        except (OSError, AttributeError) as exc:
            log.warning("CPU variant %s unusable: %s", name, exc)
            out[name] = 0
    return out


def choose(found: dict[str, Path], forced: str | None = None) -> str | None:
    if forced:
        if forced not in found:
            raise RuntimeError(f"ARCHIVIST_CPU_VARIANT={forced} is not built; built: {', '.join(found)}")
        return forced
    usable = {n: s for n, s in scores(found).items() if s > 0 and n not in UNSAFE_VARIANTS}
    return max(usable, key=usable.get) if usable else None


def _library(lib_dir: Path, name: str) -> Path | None:
    """The file of a library as the others name it (its soname, ``libggml.so.0``). A wheel holds
    copies, not symlinks: opening ``libggml.so`` would load a second, separate ggml whose backend
    registry llama.cpp never sees."""
    if sys.platform == "win32":
        candidates = [lib_dir / f"{name}.dll"]
    else:
        candidates = [lib_dir / f"lib{name}{_SUFFIX}.0", lib_dir / f"lib{name}.0.dylib", lib_dir / f"lib{name}{_SUFFIX}"]
    return next((c for c in candidates if c.exists()), None)


def load() -> str | None:
    """Load the chosen variant into llama.cpp's backend registry; returns its name (None for a
    build without runtime dispatch)."""
    lib_dir = library_dir()
    found = variants(lib_dir)
    if not found:
        return None
    import llama_cpp  # noqa: F401 - loads libggml, whose registry the variant joins

    from core.llm.llama_logs import route_to_logging

    route_to_logging()  # before the variant loads: it announces itself
    name = choose(found, os.environ.get("ARCHIVIST_CPU_VARIANT") or None)
    if name is None:
        raise RuntimeError(f"none of llama.cpp's CPU variants runs on this processor ({', '.join(found)})")
    ggml = ctypes.CDLL(str(_library(lib_dir, "ggml")))
    ggml.ggml_backend_load.restype = ctypes.c_void_p
    ggml.ggml_backend_load.argtypes = [ctypes.c_char_p]
    if not ggml.ggml_backend_load(str(found[name]).encode()):
        raise RuntimeError(f"llama.cpp could not load its CPU variant {name}")
    log.info("llama.cpp CPU variant: %s", name)
    return name


_loaded: list[str | None] = []


def load_once() -> str | None:
    """``load`` for processes that create several llama.cpp models: the variant is loaded once."""
    if not _loaded:
        _loaded.append(load())
    return _loaded[0]
