"""Hypothesis strategies for the fuzz suite: hostile bytes, TOML and CSV, names and option values.

TOML is written by :func:`to_toml` (not a library) so that it can say what no TOML writer
would: ``nan``, ``inf``, integers beyond 64 bits, lone surrogates, deep nesting.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]

HOSTILE_NAMES = [
    "/tmp/x", "../../x", "../../../x", "a/b", "@SANDBOX@/abs/x", "..", ".", "", " ", "-", "--help",
    "x" * 300, "é" * 150, "CON", "nul.txt", "a\x00b", "a\nb", "\u202eevil", "\ud800", "🦴" * 70,
    "C:\\x", "\\\\server\\share", "~/x", "$HOME", "a" * 255, "a" * 256,
]

HOSTILE_NUMBERS = [
    math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, 0.0, -0.0, 2**63, 2**63 - 1, -(2**63) - 1, 2**64,
    10**30, -1, 0, 1, 2, 3, 0.5, 1e100, 4_000_000_000, 400_000_000,
]

ODD_TEXT = st.one_of(
    st.sampled_from(HOSTILE_NAMES),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    st.text(max_size=20),
)


def scalar_values() -> st.SearchStrategy:
    """A hostile or ordinary leaf value for a TOML field."""
    return st.one_of(
        st.sampled_from(HOSTILE_NUMBERS),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.integers(min_value=0, max_value=40),
        st.booleans(),
        ODD_TEXT,
        st.just([]),
        st.just({}),
        st.lists(st.sampled_from(HOSTILE_NUMBERS), max_size=4),
    )


# --- TOML ---------------------------------------------------------------------------------

def _toml_key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key) else _toml_string(key)


def _toml_string(text: str) -> str:
    """A basic string; a lone surrogate becomes the escape \\uD800 (which TOML forbids)."""
    out = []
    for char in text:
        code = ord(char)
        if char == '"' or char == "\\":
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def to_toml_value(value) -> str:
    """A value as TOML text, including what TOML cannot hold (huge integers, surrogates)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(to_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {to_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def to_toml(document: dict) -> str:
    """A document: top-level scalars, then one [table] per top-level table (inline below it)."""
    lines, tables = [], []
    for key, value in document.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.extend((f"[{key}]", item) for item in value)
        else:
            lines.append(f"{_toml_key(key)} = {to_toml_value(value)}")
    for key, table in tables:
        header = f"[{key}]" if key.startswith("[") else f"[{_toml_key(key)}]"
        lines.append(header)
        lines.extend(f"{_toml_key(k)} = {to_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def skeleton(relative: str) -> dict:
    return tomllib.loads((REPO / relative).read_text(encoding="utf-8"))


def _leaf_paths(node, prefix=()):
    if isinstance(node, dict):
        yield prefix
        for key, value in node.items():
            yield from _leaf_paths(value, (*prefix, key))
    elif isinstance(node, list):
        yield prefix
        for index, value in enumerate(node):
            yield from _leaf_paths(value, (*prefix, index))
    else:
        yield prefix


def _set(document, path, value):
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _delete(document, path):
    node = document
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


@st.composite
def mutated_document(draw, base: dict, keep: dict | None = None) -> dict:
    """A valid-looking document with a few fields replaced, removed or added.

    ``keep`` fields are set after mutating (e.g. a small ``n``) so that what validates stays cheap.
    """
    document = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        paths = [p for p in _leaf_paths(document) if p]
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "name"]))
        if action == "name" or not paths:
            document["name"] = draw(ODD_TEXT)
            continue
        path = draw(st.sampled_from(paths))
        if action == "replace":
            _set(document, path, draw(scalar_values()))
        elif action == "delete":
            _delete(document, path)
        else:
            parent = path[:-1]
            node = document
            for key in parent:
                node = node[key]
            if isinstance(node, dict):
                node[draw(st.sampled_from(["nonsense", "n", "seed", "schedule", "name", "ü"]))] = draw(scalar_values())
    for dotted, value in (keep or {}).items():
        *parents, last = dotted.split(".")
        node = document
        for key in parents:
            node = node.setdefault(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node[last] = value
    return document


def deep_toml(depth: int) -> str:
    return "name = \"deep\"\nx = " + "[" * depth + "]" * depth + "\ny = " + "{a = " * min(depth, 5000) + "1" \
        + "}" * min(depth, 5000) + "\n"


@st.composite
def toml_bytes(draw, base: dict, keep: dict | None = None) -> bytes:
    """Bytes of a TOML input: a mutated skeleton, deep nesting, broken encodings or raw bytes."""
    kind = draw(st.sampled_from(["mutated"] * 6 + ["deep", "latin1", "surrogate", "bom", "nul", "raw", "huge"]))
    if kind == "deep":
        return deep_toml(draw(st.sampled_from([100, 1000, 10_000, 100_000]))).encode()
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "huge":
        return b"name = \"big\"\n# " + b"x" * 1_100_000 + b"\n"
    text = to_toml(draw(mutated_document(base, keep)))
    if kind == "latin1":
        return text.encode("utf-8") + "# caf\xe9\n".encode("latin-1")
    if kind == "surrogate":
        return text.replace("name = ", "name = \"\ud800\"\nnamex = ", 1).encode("utf-8", "surrogatepass")
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if kind == "nul":
        return text.encode("utf-8") + b"\x00\n"
    return text.encode("utf-8", "surrogatepass")


# --- CSV ----------------------------------------------------------------------------------

CSV_CELLS = st.one_of(
    st.sampled_from(["", "NA", "nan", "inf", "-inf", "1e400", "-1e400", "1e308", "0", "-0", "1.5", "2", "10",
                     "100", "abc", "1,5", "\"", "1e-320", "0x10", " 3 ", "∞", "\ud800"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)

NUMBER_CELLS = st.one_of(
    st.floats(min_value=0.01, max_value=50).map(lambda v: f"{v:.3g}"), st.integers(1, 200).map(str),
    st.sampled_from(["1e-300", "1e300", "1e99", "0", "nan", "1e400", "5", "5", "0.1", "-2"]))

CSV_HEADERS = [
    ["study", "yi", "vi"], ["study", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"],
    ["study", "ai", "bi", "ci", "di"], ["yi", "vi", "year"], ["study", "yi", "sei"], ["x"], [],
]


#: Published study tables and the measures they can be analysed with.
REAL_TABLES = {"tests/evidence/data/bcg.csv": ["RR", "OR", "RD"], "tests/evidence/data/normand1999.csv": ["SMD", "MD"],
               "tests/evidence/data/hackshaw1998.csv": ["GEN"]}


@st.composite
def mutated_real_table(draw, table: str) -> bytes:
    """A published study table with a few cells, rows or columns mutated."""
    lines = (REPO / table).read_text(encoding="utf-8").splitlines()
    rows = [line.split(",") for line in lines]
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["cell", "cell", "cell", "drop_row", "drop_column", "repeat_row"]))
        row = draw(st.integers(0, len(rows) - 1))
        if action == "cell" and rows[row]:
            rows[row][draw(st.integers(0, len(rows[row]) - 1))] = draw(st.one_of(CSV_CELLS, NUMBER_CELLS))
        elif action == "drop_row" and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif action == "drop_column" and rows[0]:
            column = draw(st.integers(0, len(rows[0]) - 1))
            rows = [r[:column] + r[column + 1:] for r in rows]
        elif action == "repeat_row":
            rows += [rows[row]] * draw(st.sampled_from([1, 10, 600]))
    return ("\n".join(",".join(r) for r in rows) + "\n").encode("utf-8", "surrogatepass")


@st.composite
def study_table(draw) -> tuple[bytes, str]:
    """A study table for ``painsim meta`` and a measure: mostly a mutated published table with
    one of its measures, else hostile tables or bytes with any measure."""
    if draw(st.integers(0, 9)) < 6:
        table = draw(st.sampled_from(sorted(REAL_TABLES)))
        return draw(mutated_real_table(table)), draw(st.sampled_from(REAL_TABLES[table]))
    return draw(csv_bytes()), draw(st.sampled_from(["GEN", "SMD", "MD", "RR", "OR", "RD", "XX"]))


@st.composite
def csv_bytes(draw) -> bytes:
    """A study table for ``painsim meta``: known column sets with hostile cells, or raw bytes."""
    kind = draw(st.sampled_from(["table"] * 3 + ["numbers"] * 3 + ["raw", "latin1", "wide", "nul"]))
    if kind == "raw":
        return draw(st.binary(max_size=300))
    header = draw(st.sampled_from(CSV_HEADERS))
    if kind == "wide":
        header = [f"c{i}" for i in range(2000)]
    cells = NUMBER_CELLS if kind == "numbers" else CSV_CELLS
    rows = draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), min_size=0, max_size=6))
    text = "\n".join([",".join(header), *(",".join(r) for r in rows)]) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    if kind == "latin1":
        data += "caf\xe9,1,1\n".encode("latin-1")
    if kind == "nul":
        data = data.replace(b",", b"\x00,", 1)
    return data


# --- collecting examples ------------------------------------------------------------------

def collect(strategy: st.SearchStrategy, count: int) -> list:
    """``count`` examples of ``strategy``, the same on every run (derandomized, no database)."""
    found: list = []

    @settings(max_examples=count, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(strategy)
    def gather(example):
        found.append(example)

    gather()
    return found
