"""Filesystem helpers: writer records, process liveness, fsync."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from pathlib import Path

WRITER_FILE = "_writer.json"
MANIFEST_FILE = "_run.json"
STALE_AFTER_S = 3600.0


def process_start_ticks(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot (Linux), to tell a reused PID apart; else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces and parentheses: split after its closing ')'
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        return int(fields[19])  # field 22 of the full line
    except (IndexError, ValueError):
        return None


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].startswith("Z")


def pid_alive(pid: int, start_ticks: int | None = None) -> bool | None:
    """Whether process ``pid`` (started at ``start_ticks``, when known) still runs on this host.

    None where that cannot be told safely (Windows, where ``os.kill`` would terminate it).
    """
    if os.name == "nt":
        return None
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:
        return False
    if _is_zombie(pid):
        return False
    if start_ticks is not None:
        current = process_start_ticks(pid)
        if current is not None and current != start_ticks:
            return False  # the PID was reused by another process
    return True


def writer_record() -> dict:
    pid = os.getpid()
    return {"pid": pid, "pid_start": process_start_ticks(pid), "host": socket.gethostname(), "started": time.time()}


def fsync_file(path: Path) -> None:
    """Make the contents of the file at ``path`` durable (before it is renamed into place)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json(path: Path, obj: object) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(obj, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def writer_gone(run_dir: Path, *, stale_after: float = STALE_AFTER_S, age_file: str = WRITER_FILE) -> bool:
    """Whether the process that wrote ``run_dir`` is gone, so the directory can be removed.

    Same host: gone when its PID is dead (or reused); a live writer is never interrupted,
    however long it runs. Another host, or no readable writer record: gone when the
    directory (or ``age_file`` in it) was last touched more than ``stale_after`` s ago.
    """
    now = time.time()
    try:
        record = json.loads((run_dir / WRITER_FILE).read_text())
        pid, host = int(record["pid"]), str(record["host"])
        start = record.get("pid_start")
    except (OSError, ValueError, KeyError, TypeError):
        return _age(run_dir, now) > stale_after
    if host == socket.gethostname():
        alive = pid_alive(pid, start)
        if alive is not None:
            return not alive
    marker = run_dir / age_file
    return _age(marker if marker.exists() else run_dir, now) > stale_after


_CHUNK = 1 << 20


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def copy_hashing(source: Path, target: Path) -> tuple[str, int]:
    """Copy ``source`` to ``target`` in one pass and return the SHA-256 (hex) and size of what was copied."""
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
