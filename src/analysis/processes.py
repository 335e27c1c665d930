"""Processes: whether an operating-system process still runs (cleaning up after killed ones).

A killed build or cleaning leaves files named after its processes: temporary report files
(:func:`analysis.build.remove_stale_temps`), its kernels' socket files
(:func:`analysis.engines.remove_stale_sockets`) and half-written processed-data folders
(:func:`analysis.store.replace_dir`). They are removed once their process is gone.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path


def alive(pid: int) -> bool:
    """True while process ``pid`` runs (someone else's included); a zombie counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:  # a killed process not yet reaped (a zombie) is dead too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def remove_orphans(paths: Iterable[Path], name: re.Pattern[str]) -> list[Path]:
    """Delete each of ``paths`` (file or folder) whose name matches ``name``, whose first group
    is a process id, once that process is gone; return what was deleted."""
    removed = []
    for path in paths:
        match = name.fullmatch(path.name)
        if match and not alive(int(match.group(1))):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed
