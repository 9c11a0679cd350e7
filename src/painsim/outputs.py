"""Where results are written: safe file names from labels, and folders checked before work.

A scenario's or trial's ``name`` is a label chosen by whoever wrote the file; it is never
used as a path. :func:`output_stem` turns it into a file-name stem that cannot leave the
output folder (no ``/``, no ``..``, no hidden file, no control characters, at most
:data:`MAX_SLUG_BYTES` bytes), and :func:`output_path` builds every path of a result file
from it. A name that is already safe (letters, digits, ``.``, ``_``, ``-``) is kept as it
is; any other name is simplified and given a short hash of the original, so two different
names never share a stem.

:func:`check_output_folder` creates a folder and proves it writable (with the file names
that will be written) before a simulation starts, so a long run is not lost for want of a
place to put its result.

Examples
--------
>>> output_stem("massage_question")
'massage_question'
>>> output_stem("massage_question", run_id="20260508-142301-123-9f86d081")
'massage_question-20260508-142301-123-9f86d081'
>>> output_stem("../../etc/passwd")
'etc_passwd-3754d6cb'
>>> output_path("out", "a/b", "_trial.json").as_posix()
'out/a_b-c14cddc0_trial.json'
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

#: Longest slug kept from a name (bytes; ASCII, so also characters). With a run id (28
#: bytes), a hash (9) and the longest suffix, a file name stays far below 255 bytes.
MAX_SLUG_BYTES = 100
#: Longest file name most file systems accept (bytes).
NAME_MAX_BYTES = 255
#: Stem used when nothing of a name survives (e.g. a name of only slashes or emoji).
EMPTY_NAME = "unnamed"
#: A run id's shape, for checking the names of files of runs not yet stored.
RUN_ID_PLACEHOLDER = "00000000-000000-000-00000000"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# Device names Windows refuses as file names, whatever the extension.
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})


class OutputError(Exception):
    """An output folder cannot be created or written; the message names it and says why."""


def slug(name: str) -> str:
    """A file-name-safe form of ``name``: ASCII letters, digits, ``.``, ``_`` and ``-`` only.

    A name that is already safe comes back unchanged; any other gets ``-`` and 8 hex
    digits of the SHA-256 of the original appended, so different names stay different.
    """
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = _UNSAFE.sub("_", ascii_text).strip("._-")
    changed = text != name or len(text) > MAX_SLUG_BYTES or text.split(".")[0].upper() in _RESERVED
    text = text[:MAX_SLUG_BYTES].rstrip("._-") or EMPTY_NAME
    if not changed:
        return text
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{text}-{digest}"


def output_stem(name: str, run_id: str | None = None) -> str:
    """The stem of every file written for a result called ``name``: its :func:`slug`,
    followed by ``-RUN_ID`` when the result is kept in the store as run ``run_id``."""
    stem = slug(str(name))
    if run_id is None:
        return stem
    if not _SAFE_ID.fullmatch(run_id):
        raise ValueError(f"not a run id: {run_id!r}")
    return f"{stem}-{run_id}"


def output_path(folder: str | os.PathLike[str], name: str, suffix: str, run_id: str | None = None) -> Path:
    """``folder / (output_stem(name, run_id) + suffix)``; ``suffix`` is fixed by the caller
    (e.g. ``"_trial.json"``). The result is always directly inside ``folder``."""
    if not suffix or _UNSAFE.search(suffix) or ".." in suffix:
        raise ValueError(f"unsafe file-name suffix {suffix!r}")
    folder = Path(folder)
    path = folder / f"{output_stem(name, run_id)}{suffix}"
    if path.parent != folder:  # cannot happen with a slug; a guard against future edits
        raise ValueError(f"{path} is not directly inside {folder}")
    return path


def check_output_folder(folder: str | os.PathLike[str], file_names: Iterable[str] = (), what: str = "output folder",
                        ) -> Path:
    """Create ``folder`` if needed and prove that files called ``file_names`` can be written
    in it (a file is created and removed); return the folder. Raise :class:`OutputError`."""
    folder = Path(folder).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{what} {folder}: cannot be created ({_reason(err)}); choose a folder you can write to"
                          ) from None
    if not folder.is_dir():
        raise OutputError(f"{what} {folder}: is not a folder")
    limit = _name_max(folder)
    for file_name in file_names:
        size = len(file_name.encode("utf-8", "surrogatepass"))
        if size > limit or "/" in file_name or file_name in ("", ".", ".."):
            raise OutputError(f"{what} {folder}: cannot hold a file called {file_name!r} "
                              f"({size} bytes; the limit is {limit})")
    longest = max(file_names, key=len, default="")
    try:
        handle, probe = tempfile.mkstemp(prefix=".painsim-write-check-", dir=folder)
        os.close(handle)
        os.unlink(probe)
        if longest and len(str(folder.resolve() / longest)) >= _path_max(folder):
            raise OutputError(f"{what} {folder}: the path of {longest!r} in it would be too long; "
                              "choose a shorter folder path")
    except OSError as err:
        raise OutputError(f"{what} {folder}: cannot be written ({_reason(err)}); fix its permissions or free "
                          "some space, or choose another folder") from None
    return folder


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


def _name_max(folder: Path) -> int:
    try:
        return min(NAME_MAX_BYTES, os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return NAME_MAX_BYTES


def _path_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return 4096
