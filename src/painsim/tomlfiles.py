"""Reading TOML files into pydantic models, with errors written for people.

Shared by scenario files and trial specs: an error names the file, the field path and the
line where it can be found, what was given and what is allowed; an unknown key suggests
the closest allowed key. A file that is too large, is not UTF-8 text or nests too deeply
is refused with the same kind of error, naming the file and where the problem is.
"""

from __future__ import annotations

import codecs
import difflib
import re
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
    """' (line N)' for the line of ``text`` that sets the field at path ``loc`` (pydantic's
    location: table keys, and indices into arrays of tables), or of its nearest enclosing
    field or table when the field itself is not written (a default, an inline array); else
    ''."""
    lines = key_lines(text)
    path: tuple[str, ...] = ()
    number = None
    for part in loc:  # parts that are not written (a union's tag, an inline array's index) are passed over
        if (*path, part) in lines:
            path = (*path, part)
            number = lines[path]
    return f" (line {number})" if number is not None else ""


_KEY = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))\s*')


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line (1-based) of every key path of a TOML document: table headers, arrays of
    tables (one index per ``[[...]]`` block, as pydantic counts them), keys, dotted keys
    and the keys of inline tables. A reader for error messages, not a TOML parser: the
    document has already been parsed."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    counts: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[["):
            path = _dotted(stripped[2:stripped.find("]]")])
            counts[path] = counts.get(path, -1) + 1
            table = (*path, str(counts[path]))
            _found_with_parents(found, table, number)
        elif stripped.startswith("["):
            table = _indexed(_dotted(stripped[1:stripped.find("]")]), counts)
            _found_with_parents(found, table, number)
        elif stripped and not stripped.startswith("#"):
            _inline_keys(stripped, table, number, found)
    return found


def _found_with_parents(found: dict[tuple[str, ...], int], path: tuple[str, ...], number: int) -> None:
    for end in range(1, len(path) + 1):
        found.setdefault(path[:end], number)


def _dotted(header: str) -> tuple[str, ...]:
    keys, rest = [], header
    while rest.strip():
        match = _KEY.match(rest)
        if match is None:
            break
        keys.append(next(g for g in match.groups() if g is not None))
        rest = rest[match.end():].lstrip(".")
    return tuple(keys)


def _indexed(path: tuple[str, ...], counts: dict[tuple[str, ...], int]) -> tuple[str, ...]:
    """A sub-table header under an array of tables belongs to its latest element."""
    for end in range(len(path), 0, -1):
        if path[:end] in counts:
            return (*path[:end], str(counts[path[:end]]), *path[end:])
    return path


def _inline_keys(line: str, table: tuple[str, ...], number: int, found: dict[tuple[str, ...], int]) -> None:
    """Record the keys set on ``line`` (``a.b = {c = 1, d = {e = 2}}``) under ``table``."""
    stack = [table]
    pos, depth_keys = 0, table
    while pos < len(line):
        match = _KEY.match(line, pos)
        if match is None:
            break
        keys = [next(g for g in match.groups() if g is not None)]
        pos = match.end()
        while pos < len(line) and line[pos] == ".":
            match = _KEY.match(line, pos + 1)
            if match is None:
                return
            keys.append(next(g for g in match.groups() if g is not None))
            pos = match.end()
        if pos >= len(line) or line[pos] != "=":
            return
        depth_keys = (*stack[-1], *keys)
        _found_with_parents(found, depth_keys, number)
        pos = _skip_value(line, pos + 1, stack, depth_keys)
        if pos < 0:
            return


def _skip_value(line: str, pos: int, stack: list[tuple[str, ...]], key: tuple[str, ...]) -> int:
    """The position after the value at ``pos`` up to the next key of an inline table (the
    stack of open tables updated), or -1 at the end of the line or of the inline tables."""
    in_string = ""
    while pos < len(line):
        char = line[pos]
        if in_string:
            if char == "\\" and in_string == '"':
                pos += 1
            elif char == in_string:
                in_string = ""
        elif char in "\"'":
            in_string = char
        elif char == "#":
            return -1
        elif char == "{":
            stack.append(key)
            return pos + 1
        elif char == "}":
            if len(stack) > 1:
                stack.pop()
        elif char == "," and len(stack) > 1:
            return pos + 1
        elif char == "[":
            pass
        pos += 1
    return -1


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
