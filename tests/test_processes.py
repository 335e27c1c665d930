"""Processes: telling live processes from dead ones, and removing what dead ones left."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from analysis import processes


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_alive_tells_running_exited_and_zombie_processes_apart():
    assert processes.alive(os.getpid())
    assert not processes.alive(_dead_pid())
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])  # exits, not reaped yet
    deadline = time.monotonic() + 30
    while processes.alive(zombie.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes.alive(zombie.pid)
    assert zombie.poll() == 0  # it was a zombie until now


def test_remove_orphans_takes_files_and_folders_of_dead_processes_only(tmp_path):
    dead, live = _dead_pid(), os.getpid()
    (tmp_path / f"x-{dead}-file").write_text("left")
    (tmp_path / f"x-{dead}-dir").mkdir()
    (tmp_path / f"x-{dead}-dir" / "inside").write_text("left")
    (tmp_path / f"x-{live}-file").write_text("mine")
    (tmp_path / f"y-{dead}-file").write_text("another name")
    removed = processes.remove_orphans(tmp_path.iterdir(), re.compile(r"x-(\d+)-.*"))
    assert sorted(p.name for p in removed) == [f"x-{dead}-dir", f"x-{dead}-file"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"x-{live}-file", f"y-{dead}-file"]
