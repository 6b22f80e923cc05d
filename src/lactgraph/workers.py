"""Worker processes that do not outlive the process that started them.

A process killed by SIGTERM or SIGKILL runs no clean-up: the workers of its pools would
wait for work forever, idle and orphaned, with the multiprocessing resource tracker they
keep alive. Each worker here watches its parent and ends (within a second) once it is gone.

Ctrl-C sends SIGINT to the whole process group. The workers ignore it: the parent alone
stops (its KeyboardInterrupt leaves the pool, which cancels the work not started and
waits for the tasks running), so that the user sees the parent's one line, not a
KeyboardInterrupt traceback from each worker. A worker starts with SIGINT blocked (the
mask survives exec), so a Ctrl-C during its start-up is dropped, not seen before it
ignores SIGINT.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import SpawnContext, SpawnProcess
from types import TracebackType
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
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # drops a pending one, then unblock
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    watch_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


class _Process(SpawnProcess):
    """A spawned process that starts with SIGINT blocked (see the module notes)."""

    def start(self) -> None:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            super().start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Context(SpawnContext):
    Process = _Process


class _Pool(ProcessPoolExecutor):
    """Leaving it by an exception (Ctrl-C) cancels the tasks not started: its workers
    ignore SIGINT and would otherwise run every one of them before the parent could stop."""

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> bool:
        self.shutdown(wait=True, cancel_futures=kind is not None)
        return False


def process_pool(jobs: int, initializer: Callable[..., object] | None = None,
                 initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """A pool of `jobs` spawned processes (not forked: the parent holds threads and open
    stores) that end when this process ends, however it ends, and ignore Ctrl-C."""
    return _Pool(jobs, mp_context=_Context(), initializer=_start_worker,
                 initargs=(os.getpid(), initializer, initargs))
