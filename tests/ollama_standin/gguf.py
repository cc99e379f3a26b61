"""Minimal GGUF header reader (stdlib only).

/api/show must report the GGUF key-values as `model_info` and /api/create must
tell a LoRA adapter (general.type == "adapter") from a model, without loading
the weights into llama.cpp; this reads only the header and tensor index.
"""
from __future__ import annotations

import struct
from typing import Any, BinaryIO

MAGIC = b"GGUF"
# GGUF value types -> struct format (8 = string, 9 = array are handled apart).
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
            7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
# llama_ftype -> the name Ollama shows as quantization_level.
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0",
              9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L",
              14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M",
              18: "Q6_K", 32: "BF16"}


def is_gguf(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == MAGIC


def _read(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ValueError("truncated GGUF header")
    return struct.unpack(fmt, data)[0]


def _string(f: BinaryIO) -> str:
    n = _read(f, "<Q")
    return f.read(n).decode("utf-8", errors="replace")


def _value(f: BinaryIO, vtype: int, keep: bool) -> Any:
    if vtype == 8:
        return _string(f)
    if vtype == 9:
        itype, count = _read(f, "<I"), _read(f, "<Q")
        # Ollama blanks arrays longer than 5 unless verbose (routes.go
        # getModelData); skip them cheaply when their content is not wanted.
        if not keep and count > 5 and itype in _SCALARS:
            f.seek(struct.calcsize(_SCALARS[itype]) * count, 1)
            return []
        items = [_value(f, itype, keep) for _ in range(count)]
        return items if keep or count <= 5 else []
    return _read(f, _SCALARS[vtype])


def read_header(path: str, verbose: bool = False) -> tuple[dict, int]:
    """Return (key-values, parameter count) of a GGUF file."""
    with open(path, "rb") as f:
        if f.read(4) != MAGIC:
            raise ValueError("not a GGUF file")
        _read(f, "<I")  # version (2 and 3 share this layout)
        n_tensors, n_kv = _read(f, "<Q"), _read(f, "<Q")
        kv: dict[str, Any] = {}
        for _ in range(n_kv):
            key = _string(f)
            kv[key] = _value(f, _read(f, "<I"), verbose)
        params = 0
        for _ in range(n_tensors):
            _string(f)  # tensor name
            dims = [_read(f, "<Q") for _ in range(_read(f, "<I"))]
            _read(f, "<I"), _read(f, "<Q")  # type, offset
            count = 1
            for d in dims:
                count *= d
            params += count
    return kv, params


def human_number(n: int) -> str:
    """Ollama's format.HumanNumber, used for details.parameter_size."""
    for div, suffix, fmt in ((1e9, "B", "%.1f"), (1e6, "M", "%.2f")):
        if n >= div:
            v = n / div
            return ("%.0f" % v if v == int(v) else fmt % v) + suffix
    if n >= 1e3:
        return "%.0fK" % (n / 1e3)
    return str(n)


def describe(path: str) -> dict:
    """Summary used for a model's config blob and `details`."""
    kv, params = read_header(path)
    arch = kv.get("general.architecture", "")
    ftype = kv.get("general.file_type")
    return {
        "kind": kv.get("general.type", "model"),
        "architecture": arch,
        "parameter_count": params,
        "parameter_size": human_number(params) if params else "",
        "file_type": FILE_TYPES.get(ftype, "" if ftype is None else str(ftype)),
        "context_length": kv.get(f"{arch}.context_length"),
        "chat_template": kv.get("tokenizer.chat_template", ""),
    }


def write_lora_adapter(path: str, tensors: dict, alpha: float, arch: str = "llama") -> None:
    """Write a GGUF LoRA adapter (general.type=adapter) from float32 arrays.

    `tensors` maps e.g. "blk.0.attn_q.weight.lora_a" -> numpy array with shape
    (r, n_in) and "...lora_b" -> (n_out, r), like PEFT's lora_A / lora_B.
    Lets tests build a tiny adapter in milliseconds, without torch or gguf-py.
    """
    write_gguf(path, {"general.architecture": arch, "general.type": "adapter",
                      "adapter.type": "lora", "adapter.lora.alpha": float(alpha)}, tensors)


def write_gguf(path: str, kv: dict, tensors: dict) -> None:
    """Write a GGUF v3 file: string/float32/int32 key-values, F32 tensors."""
    import numpy as np

    def s(x: str) -> bytes:
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    head = MAGIC + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for key, val in kv.items():
        if isinstance(val, str):
            head += s(key) + struct.pack("<I", 8) + s(val)
        elif isinstance(val, float):
            head += s(key) + struct.pack("<If", 6, val)
        else:
            head += s(key) + struct.pack("<Ii", 5, int(val))
    align, offset, blobs = 32, 0, []
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        dims = list(reversed(arr.shape))  # GGUF stores ne[0] (innermost) first
        head += s(name) + struct.pack("<I", len(dims))
        head += b"".join(struct.pack("<Q", d) for d in dims)
        head += struct.pack("<IQ", 0, offset)  # type 0 = F32
        data = arr.tobytes()
        pad = (-len(data)) % align
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    head += b"\0" * ((-len(head)) % align)
    with open(path, "wb") as f:
        f.write(head)
        for b in blobs:
            f.write(b)
