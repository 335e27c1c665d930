"""Provenance: fingerprints of code and files (standard library only, so cheap to import)."""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).parent
SOURCE_SUFFIXES = (".py", ".yaml", ".csv", ".j2", ".css", ".json")


@cache
def code_digest() -> str:
    """Short SHA-256 of the package's source and resources: the code version of an output."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts:
            h.update(path.relative_to(PACKAGE).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def file_digest(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digests(
    paths: list[Path], root: Path | None = None, threads: int | None = None
) -> dict[str, str]:
    """:func:`file_digest` of each file, keyed by its path (relative to ``root``), in sorted
    order; the files are hashed in ``threads`` threads (default: one per core; hashlib
    releases the GIL)."""
    paths = sorted(paths)
    with ThreadPoolExecutor(threads or os.cpu_count() or 1) as pool:
        digests = list(pool.map(file_digest, paths))
    return {
        (path.relative_to(root).as_posix() if root else path.as_posix()): digest
        for path, digest in zip(paths, digests, strict=True)
    }


def json_digest(obj: object) -> str:
    """SHA-256 of a JSON-serialisable object (keys sorted)."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
