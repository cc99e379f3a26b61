"""Filler for bench/qa_heldout.py: other real text found on this machine (Debian manual pages, the
licence texts in /usr/share/common-licenses, Python's own topic help), never qa_library's docstrings."""

from __future__ import annotations

import gzip
import re
from pathlib import Path


MAN_PAGES = [  # common Debian/Ubuntu pages; those missing are skipped
    "man1/tar.1.gz", "man1/grep.1.gz", "man1/find.1.gz", "man1/sed.1.gz", "man1/ssh.1.gz", "man1/gzip.1.gz",
    "man1/less.1.gz", "man1/diff.1.gz", "man1/ls.1.gz", "man1/cp.1.gz", "man1/sort.1.gz", "man1/date.1.gz",
    "man1/dpkg.1.gz", "man1/bash.1.gz", "man1/make.1.gz", "man1/git.1.gz", "man1/curl.1.gz", "man1/wget.1.gz",
    "man5/passwd.5.gz", "man5/fstab.5.gz", "man5/ssh_config.5.gz", "man5/sources.list.5.gz",
    "man7/hier.7.gz", "man7/regex.7.gz", "man7/signal.7.gz", "man7/glob.7.gz", "man7/locale.7.gz",
    "man8/apt-get.8.gz", "man8/mount.8.gz",
]
LICENSES = ["Apache-2.0", "GPL-3", "LGPL-2.1", "MPL-2.0", "GFDL-1.3", "Artistic", "CC0-1.0"]

_ROFF_ESCAPES = [(re.compile(a), b) for a, b in [
    (r"\\f(\[[^\]]*\]|\(..|.)", ""), (r"\\\(em|\\\[em\]", "-"), (r"\\\(en|\\\[en\]", "-"),
    (r"\\\((aq|cq|oq)", "'"), (r"\\\((lq|rq)", '"'), (r"\\\(bu", ""), (r"\\\(co", "(c)"), (r"\\\(..", ""),
    (r"\\\[[^\]]*\]", ""), (r"\\-", "-"), (r"\\e", "\\\\"), (r"\\s[+-]?\d", ""), (r"\\[&|^%:c/,)]", ""),
    (r"\\\*(\(..|\[[^\]]*\]|.)", ""), (r"\\n(\(..|\[[^\]]*\]|.)", ""), (r"\\ ", " "), (r'\\"', ""),
]]
_ROFF_BREAK = {"PP", "LP", "P", "SH", "SS", "TP", "IP", "sp", "br", "HP", "TQ", "Sh", "Ss", "Pp", "Bl", "It"}
_ROFF_TEXT = {"B", "I", "BR", "RB", "BI", "IB", "IR", "RI", "SM", "SB", "Nm", "Ar", "Fl", "Cm", "Pa", "Xr",
              "Dq", "Sq", "Ql", "Em", "Va", "Ic", "Li", "Ev", "Dv"}


def roff_paragraphs(source: str) -> list[str]:
    """A manual page's prose from its roff source: text lines and font macros, headings dropped."""
    paras: list[str] = []
    current: list[str] = []
    in_macro_definition = False
    for line in source.splitlines():
        if line.startswith(('.\\"', "'\\\"", '\\"')):
            continue
        if line.startswith((".", "'")):
            m = re.match(r"[.'](\S+)\s*(.*)", line)
            if not m:
                continue
            name, args = m.groups()
            if name in ("de", "ig"):
                in_macro_definition = True
            elif in_macro_definition:
                in_macro_definition = name != "."
            elif name in _ROFF_BREAK:
                if current:
                    paras.append(" ".join(current))
                    current = []
            elif name in _ROFF_TEXT:
                current.append(args.replace('"', ""))
            continue
        if in_macro_definition:
            continue
        if line.strip():
            current.append(line)
        elif current:
            paras.append(" ".join(current))
            current = []
    if current:
        paras.append(" ".join(current))
    out = []
    for p in paras:
        for pattern, replacement in _ROFF_ESCAPES:
            p = pattern.sub(lambda _m, r=replacement: r.replace("\\\\", "\\"), p)
        out.append(" ".join(p.split()))
    return out


def prose(paras: list[str]) -> list[str]:
    """Paragraphs that read as prose: not code, not tables, not one-liners."""
    keep = []
    for p in paras:
        if not 80 <= len(p) <= 1500:
            continue
        letters = sum(c.isalpha() or c == " " for c in p)
        if letters / len(p) >= 0.82 and p.count(". ") + p.endswith(".") >= 1:
            keep.append(p)
    return keep


def filler_texts() -> list[tuple[str, list[str]]]:
    """(name, prose paragraphs) per source text: manual pages, licences, the language reference."""
    texts = []
    for rel in MAN_PAGES:
        path = Path("/usr/share/man") / rel
        if path.is_file():
            try:
                source = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
            except (OSError, EOFError):
                continue
            texts.append((path.name.split(".")[0] + "-manual", prose(roff_paragraphs(source))))
    for name in LICENSES:
        path = Path("/usr/share/common-licenses") / name
        if path.is_file():
            paras = [" ".join(p.split()) for p in path.read_text(encoding="utf-8", errors="replace").split("\n\n")]
            texts.append((name.lower() + "-licence", prose(paras)))
    try:
        from pydoc_data.topics import topics
    except ImportError:
        topics = {}
    for name in sorted(topics):
        paras = [" ".join(p.split()) for p in topics[name].split("\n\n")]
        texts.append(("python-" + name, prose(paras)))
    # No paragraph twice (licences and manual pages repeat boilerplate).
    seen: set[str] = set()
    unique = []
    for name, paras in texts:
        paras = [p for p in paras if not (p in seen or seen.add(p))]
        if paras:
            unique.append((name, paras))
    return unique
