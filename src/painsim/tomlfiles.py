"""Reading TOML files into pydantic models, with errors written for people.

Shared by scenario files and trial specs: an error names the file, the field path and the
line where it can be found, what was given and what is allowed; an unknown key suggests
the closest allowed key. A file that is too large, is not UTF-8 text or nests too deeply
is refused with the same kind of error, naming the file and where the problem is.
"""

from __future__ import annotations

import codecs
import difflib
import tomllib
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

#: Largest TOML file read (bytes): scenario files, trial specs and targets files are a few
#: kilobytes; anything near this is a mistake, refused before it is parsed.
MAX_TOML_BYTES = 1_048_576


def read_text_file(path: str | Path, error: type[Exception], what: str, max_bytes: int = MAX_TOML_BYTES) -> str:
    """The UTF-8 text of ``path``; raise ``error`` naming the file when it cannot be read,
    is larger than ``max_bytes`` or is not UTF-8 (with the byte offset and line of the
    first bad byte)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as err:
        raise error(f"{path}: cannot read the {what} ({err.strerror or err})") from None
    if len(data) > max_bytes:
        raise error(f"{path}: the {what} is larger than the limit of {max_bytes:,} bytes")
    return decode_utf8(data, path, error, what)


def decode_utf8(data: bytes, source: str | Path, error: type[Exception], what: str) -> str:
    """``data`` decoded as UTF-8 (a leading byte-order mark is dropped, line ends become
    ``\\n`` as in text mode); raise ``error`` naming ``source``, the byte offset and the
    line of the first byte that is not UTF-8."""
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as err:
        offset = skip + err.start
        line = data.count(b"\n", 0, offset) + 1
        raise error(f"{source}: the {what} is not UTF-8 text: byte 0x{data[offset]:02x} at offset {offset} "
                    f"(line {line}) cannot be decoded; save the file as UTF-8") from None


def load_toml_model(path: str | Path, model: type[M], error: type[Exception], what: str) -> M:
    """Read ``path`` and validate it as ``model``; raise ``error`` with a readable message."""
    text = read_text_file(path, error, what)
    return parse_toml_model(text, model, error, what, source=str(path))


def parse_toml_model(text: str, model: type[M], error: type[Exception], what: str, source: str,
                     prepare: Callable[[dict[str, Any]], None] | None = None) -> M:
    """Validate TOML ``text`` as ``model`` (``source`` names it in errors); ``prepare`` may
    fill in derived defaults in the parsed data before validation."""
    too_deep = error(f"{source}: the {what} nests arrays or tables too deeply to read")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{source}: not valid TOML: {err}") from None
    except RecursionError:
        raise too_deep from None
    try:
        if prepare is not None:
            prepare(data)
        return model.model_validate(data)
    except ValidationError as err:
        raise error(explain(err, text, source, what, model)) from None
    except RecursionError:
        raise too_deep from None


def explain(err: ValidationError, text: str, source: str, what: str, model: type[BaseModel]) -> str:
    """One line per problem: field path, line, message, what was given or what is allowed."""
    lines = [f"{source}: {err.error_count()} problem(s) in the {what}:"]
    for problem in err.errors():
        loc = [str(part) for part in problem["loc"]]
        message = problem["msg"].removeprefix("Value error, ")
        head, _, rest = message.partition(": ")
        if not loc and rest and " " not in head:  # a whole-file check names its field first
            loc, message = head.split("."), rest
        path = ".".join(loc) or "(top level)"
        where = line_of(text, loc) if loc else ""
        given = problem.get("input")
        if problem["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'{did_you_mean(loc, model)}"
        elif not isinstance(given, dict | list) and problem["type"] not in ("missing", "value_error"):
            message += f" (given: {given!r})"
        lines.append(f"  - {path}{where}: {message}")
    return "\n".join(lines)


def line_of(text: str, loc: list[str]) -> str:
    """' (line N)' for the first line that sets or opens the last key of ``loc``, else ''."""
    key = loc[-1] if loc else ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith((f"{key} ", f"{key}=")) or stripped.endswith(f".{key}]") \
                or stripped == f"[{key}]" or f" {key} =" in stripped or f"{{{key} =" in stripped:
            return f" (line {number})"
    return ""


def did_you_mean(loc: list[str], model: type[BaseModel]) -> str:
    """A suggestion and the allowed keys for the unknown key at the end of ``loc``."""
    allowed = allowed_keys(model, loc[:-1])
    key = loc[-1]
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6) or [a for a in allowed if key in a]
    options = f"; allowed: {', '.join(sorted(allowed))}" if allowed else ""
    return f" (did you mean '{close[0]}'?){options}" if close else options


def allowed_keys(model: type[BaseModel], parent: list[str]) -> list[str]:
    """Field names allowed under the path ``parent`` of ``model`` (dict values are followed)."""
    current: Any = model
    for part in parent:
        if isinstance(current, _Of):  # a dict key or a list index
            current = current.value
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _unwrap(field.annotation)
    if isinstance(current, _Of):
        return []
    return list(getattr(current, "model_fields", {}))


class _Of:
    """Marks a container whose keys or indices lead to ``value``."""

    def __init__(self, value: Any):
        self.value = value


def _unwrap(annotation: Any) -> Any:
    """The model type behind ``X | None``, or a marker for ``dict[str, X]`` / ``list[X]``."""
    origin = typing.get_origin(annotation)
    if origin is dict:
        return _Of(_unwrap(typing.get_args(annotation)[1]))
    if origin in (list, tuple):
        return _Of(_unwrap(typing.get_args(annotation)[0]))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return models[0] if models else annotation
