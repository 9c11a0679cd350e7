"""The store lock: commits share it, ``Store.rebuild`` takes it alone.

DuckDB's own file lock protects each transaction, but a rebuild reads every run folder and
then replaces the index file: a run committed into the old file in between would vanish
from the new one. So every commit holds ``painsim.lock`` shared while it inserts its row,
and a rebuild holds it exclusively from its first read to the replacement. The lock is a
``flock`` on POSIX systems: the kernel releases it when its holder dies, even by ``kill -9``.
Elsewhere (Windows) it is a no-op, and a rebuild must not run while painsim writes.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from painsim.store.errors import StoreError, unwritable

LOCK_FILE = "painsim.lock"


@contextmanager
def store_lock(root: Path, *, exclusive: bool, timeout: float) -> Iterator[None]:
    """Hold the store lock of ``root`` (shared or exclusive), waiting at most ``timeout`` seconds for it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path = root / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise unwritable(path, root, error) from error
    try:
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except BlockingIOError:
                if time.monotonic() + delay > deadline:
                    what = "in use by painsim processes writing runs" if exclusive else "being rebuilt"
                    raise StoreError(
                        f"the painsim store {root} stayed {what} for {timeout:.0f} s ({path} is locked). "
                        "Wait for the other painsim process to finish and retry."
                    ) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)
        yield
    finally:
        os.close(fd)  # releases the lock
