"""Worker processes that do not outlive the process that started them.

A process killed by SIGTERM or SIGKILL runs no clean-up: the workers of its pools would
wait for work forever, idle and orphaned, with the multiprocessing resource tracker they
keep alive. Each worker here watches its parent and ends (within a second) once it is gone.
Ctrl-C reaches the whole process group and needs none of this.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any


def exit_with_parent(parent_pid: int) -> None:
    """Poll the parent's pid; end this process at once when it changed (parent gone)."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def watch_parent(parent_pid: int) -> None:
    """Start `exit_with_parent` in a daemon thread of this process."""
    threading.Thread(target=exit_with_parent, args=(parent_pid,), daemon=True).start()


def _start_worker(parent_pid: int, initializer: Callable[..., object] | None,
                  initargs: tuple[Any, ...]) -> None:
    watch_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def process_pool(jobs: int, initializer: Callable[..., object] | None = None,
                 initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """A pool of `jobs` spawned processes (not forked: the parent holds threads and open
    stores) that end when this process ends, however it ends."""
    return ProcessPoolExecutor(jobs, mp_context=get_context("spawn"),
                               initializer=_start_worker,
                               initargs=(os.getpid(), initializer, initargs))
