"""The processes this one started (page workers, their fork server, Tesseract), found and ended as a tree: a
watcher told to stop at once must not leave a worker behind waiting for pages forever."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def descendants(root: int) -> list[int]:
    """Every live process under `root` (children, their children...), from /proc; none where there is no /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        # Zombies are already dead; the resource tracker cleans up shared memory once we are gone.
        if state != "Z" and b"resource_tracker" not in command:
            children.setdefault(int(parent), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_descendants(root: int | None = None) -> None:
    """SIGKILL every process under `root` (default this one), each by its id, until none is left (the page queue
    may start a new worker when one dies: look again)."""
    root = os.getpid() if root is None else root
    for _ in range(50):
        processes = descendants(root)
        if not processes:
            return
        for pid in processes:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
