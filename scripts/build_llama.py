"""Build and install llama-cpp-python portably: the built-in engine must run on every x86-64 CPU.

    python scripts/build_llama.py [--check-only]

pip's own build compiles llama.cpp with ``-march=native``: on CPUs that advertise AMX it dies with
SIGILL on the first long prompt, and a build made on one machine crashes on an older one. This
script builds with ``GGML_NATIVE=OFF`` and runtime dispatch (one CPU library per instruction-set
level, the best one chosen at run time by core/llm/cpu_backend.py), drops the AMX variant, checks
that no library holds an AMX tile instruction, and installs the wheel into the running Python.

pip's wheel cache is keyed by package and version only, so a native wheel cached earlier would be
reused even with other CMAKE_ARGS: the build runs with --no-cache-dir, and the result is kept in
Archivist's own cache under a key that includes the build flags.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

VERSION = "0.3.36"
CMAKE_ARGS = ["-DGGML_NATIVE=OFF", "-DGGML_BACKEND_DL=ON", "-DGGML_CPU_ALL_VARIANTS=ON",
              "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF"]
DROPPED_VARIANTS = ("sapphirerapids",)  # AMX: llama.cpp PR #26954
AMX_INSTRUCTION = re.compile(r"\b(tileloadd|tileloaddt1|tilestored|ldtilecfg|sttilecfg|tdpb[su][su]d|tdpbf16ps|tilezero|tilerelease)\b")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    key = hashlib.sha256(" ".join([VERSION, *CMAKE_ARGS, *DROPPED_VARIANTS, sys.version.split()[0][:4],
                                   platform.machine()]).encode()).hexdigest()[:16]
    return Path(base) / "archivist" / "wheels" / f"llama-cpp-python-{VERSION}-{key}"


def build(out: Path) -> Path:
    env = dict(os.environ, CMAKE_ARGS=" ".join(CMAKE_ARGS),
               CMAKE_BUILD_PARALLEL_LEVEL=str(os.cpu_count() or 2))
    with tempfile.TemporaryDirectory(prefix="archivist-llama-") as tmp:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-cache-dir", "--no-deps", "--quiet",
                        "--no-binary", "llama-cpp-python", f"llama-cpp-python=={VERSION}", "-w", tmp],
                       env=env, check=True)
        built = next(Path(tmp).glob("llama_cpp_python-*.whl"))
        out.mkdir(parents=True, exist_ok=True)
        target = out / built.name
        repack(built, target)
    return target


def repack(source: Path, target: Path) -> None:
    """Copy the wheel in the shape the engine loads it from: the CPU variants beside the other
    libraries in llama_cpp/lib (the build puts them in a top-level bin/, which pip would install
    as site-packages/bin), without the unsafe variants, and without the top-level lib/ and include/
    copies meant for C programs. RECORD follows."""
    def placed(name: str) -> str | None:
        top = name.split("/", 1)[0]
        if any(f"ggml-cpu-{v}." in name for v in DROPPED_VARIANTS):
            return None
        if top == "bin" and "ggml-cpu-" in name:
            return "llama_cpp/lib/" + name.rsplit("/", 1)[-1]
        if top in ("bin", "lib", "include"):
            return None
        return name

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target.with_suffix(".tmp"), "w",
                                                         zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            name = placed(item.filename)
            if name is None:
                continue
            data = zin.read(item)
            if name.endswith(".dist-info/RECORD"):
                lines = []
                for line in data.decode("utf-8").splitlines():
                    path, _, rest = line.partition(",")
                    moved = placed(path)
                    if moved is not None:
                        lines.append(f"{moved},{rest}")
                data = ("\n".join(lines) + "\n").encode("utf-8")
            item.filename = name
            zout.writestr(item, data)
    target.with_suffix(".tmp").replace(target)


def amx_instructions(library: Path) -> int:
    """AMX tile instructions in a shared library's code (objdump -d)."""
    listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(library)], capture_output=True,
                             text=True, check=True).stdout
    return len(AMX_INSTRUCTION.findall(listing))


def check_libraries(lib_dir: Path) -> list[str]:
    """Problems with the installed engine libraries (empty when it is portable and AMX-free)."""
    if shutil.which("objdump") is None:
        return ["objdump (GNU binutils) is needed to check the engine's libraries"]
    problems = []
    libraries = sorted(p for p in lib_dir.iterdir() if ".so" in p.name or p.suffix in (".dll", ".dylib"))
    if not any("ggml-cpu-" in p.name for p in libraries):
        problems.append(f"no runtime-dispatch CPU variants in {lib_dir}: not a portable build")
    for library in libraries:
        count = amx_instructions(library)
        if count:
            problems.append(f"{library.name}: {count} AMX tile instructions")
    return problems


def installed_lib_dir() -> Path:
    out = subprocess.run([sys.executable, "-c", "import importlib.util as u; "
                          "print(list(u.find_spec('llama_cpp').submodule_search_locations)[0])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return Path(out) / "lib"


def installed_is_portable() -> bool:
    try:
        return not check_libraries(installed_lib_dir())
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check-only", action="store_true", help="only check the installed engine")
    args = parser.parse_args()
    if args.check_only:
        problems = check_libraries(installed_lib_dir())
        print("\n".join(problems) or "portable: runtime CPU dispatch, no AMX instructions")
        return 1 if problems else 0
    if installed_is_portable():
        print(f"llama-cpp-python {VERSION}: the portable build is installed")
        return 0
    wheels = sorted(cache_dir().glob("llama_cpp_python-*.whl"))
    if wheels:
        wheel = wheels[-1]
        print(f"llama-cpp-python {VERSION}: installing the portable build from {wheel.parent}")
    else:
        print(f"llama-cpp-python {VERSION}: compiling llama.cpp portably (10-20 minutes on 2 cores) …",
              flush=True)
        wheel = build(cache_dir())
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall",
                    str(wheel)], check=True)
    # llama-cpp-python's own dependencies (numpy, jinja2, diskcache, typing-extensions).
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    problems = check_libraries(installed_lib_dir())
    if problems:
        print("the installed engine is not portable:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("llama-cpp-python: portable build installed and checked (no AMX instructions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
