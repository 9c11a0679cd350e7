"""The architecture as a test: data flows one way, and no package reaches into another's privates.

Layers (docs/architecture.md), lowest first; a module may import its own package and any
package of a lower or the same layer, never one above it:

    infrastructure   texts, limits, tomlfiles, outputs, store  ->  sweeps
    pillars          engine -> care -> outcomes -> scenario, evidence -> trials, diary -> calibration, report
    application      app (painsim.app: the jobs the faces run, written once)
    faces            cli, web

A name or module starting with "_" is private to its package: another package must not
import it. In the CLI, a command module imports painsim.cli.common (the shared helpers) and
library code, never the root (painsim.cli.app) or another command module.

Each list of choices is declared once (docs/app.md, "Lists of choices"): the faces write no
list of allowed values themselves (no Enum, no ``Literal["a", "b"]``, no ``click.Choice``);
they read painsim.app.choices (CLI help and validation, GET /api/choices).
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "painsim"

LAYERS: dict[str, int] = {
    # infrastructure: knows no model
    "_blas": 0,  # pins the BLAS kernels when painsim is imported, before numpy loads
    "texts": 0,
    "limits": 0,
    "tomlfiles": 0,
    "outputs": 0,
    "store": 0,
    "sweeps": 1,  # runs any task function on Dask; keeps results with the store's durable writes
    # the pillars, in the direction data flows
    "engine": 2,
    "care": 3,
    "outcomes": 4,
    "scenario": 5,
    "economics": 5,  # beside scenario, which holds its [economics] table; costs and QALYs of runs and
    # posterior draws, PSA, decision analysis; the report (7) shows its tables
    "evidence": 5,
    "trials": 6,
    "diary": 6,  # a client's diary: fits the engine's patients to it, forecasts care plans (issue 19)
    "calibration": 7,
    "report": 7,
    # what the faces ask for, written once
    "app": 8,
    # the faces
    "cli": 9,
    "web": 9,
    "__main__": 10,  # python -m painsim: runs the command line
}

#: Upward imports allowed only under ``if TYPE_CHECKING:`` (no import at run time), each with
#: its reason. Known debt: outcomes' scenario figure and tables are handed a ScenarioResult.
TYPE_ONLY_UPWARD: dict[tuple[str, str], str] = {
    ("painsim.outcomes.figures", "painsim.scenario"): "scenario_figure(result: ScenarioResult)",
    ("painsim.outcomes.tables", "painsim.scenario"): "scenario_tables(result: ScenarioResult)",
}

#: The CLI modules a command module may import (the command modules are the *_commands.py).
CLI_SHARED = {"painsim.cli.common"}

#: The faces, where no list of allowed values may be written inline.
FACES = ("cli", "web")
#: Inline lists in the faces that are not choices a user picks from, each with its reason.
INLINE_LISTS_ALLOWED: dict[tuple[str, str], str] = {
    ("painsim.web.common", "Literal"): "JobInfo.status: the states of a web job, reported, never chosen",
    ("painsim.web.jobs", "Literal"): "a job's states and the job manager's isolation (a library argument)",
}


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "painsim" or len(parts) < 2:
        return None
    return parts[1]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, type_only: bool = False):
    """(line, imported module, imported names, inside ``if TYPE_CHECKING:``) of every import."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), type_only)
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [alias.name for alias in node.names], type_only
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, [], type_only
        yield from _imports(node, type_only)


def problems_of(module: str, source: str) -> list[str]:
    """Every import of ``module`` (its ``source``) that runs back up or borrows a private."""
    own = _package(module)
    problems = []
    for line, target, names, type_only in _imports(ast.parse(source)):
        other = _package(target)
        if other is None or own is None:
            continue
        if other == own:
            if own == "cli" and module.endswith("_commands") and target not in CLI_SHARED and (
                    target.endswith("_commands") or target == "painsim.cli.app"):
                problems.append(f"line {line}: command module {module} imports {target} (only painsim.cli.common)")
            continue
        allowed = type_only and (module, target) in TYPE_ONLY_UPWARD
        if own in LAYERS and other in LAYERS and LAYERS[other] > LAYERS[own] and not allowed:
            problems.append(f"line {line}: {own} (layer {LAYERS[own]}) imports {target} (layer {LAYERS[other]})")
        if own not in LAYERS or other not in LAYERS:
            problems.append(f"line {line}: {own} or {other} has no layer: add it to LAYERS")
        private_module = any(part.startswith("_") and not part.startswith("__") for part in target.split(".")[2:])
        private_names = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if private_module or private_names:
            problems.append(f"line {line}: {own} borrows private {target} {private_names or ''}".rstrip())
    return problems


def _literal_strings(node: ast.Subscript) -> int:
    """How many string constants a ``Literal[...]`` subscript lists."""
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return sum(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in items)


def inline_lists_of(module: str, source: str) -> list[str]:
    """Every list of allowed values written inline in a face module (see the module docstring)."""
    if _package(module) not in FACES:
        return []
    problems = []
    for node in ast.walk(ast.parse(source)):
        kind = None
        if isinstance(node, ast.ClassDef) and any(
                (base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")).endswith("Enum")
                for base in node.bases):
            kind = f"Enum {node.name}"
        elif isinstance(node, ast.Subscript) and getattr(node.value, "id", getattr(node.value, "attr", "")) \
                == "Literal" and _literal_strings(node) > 1:
            kind = "Literal"
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "Choice":
            kind = "click.Choice"
        if kind and (module, kind.split()[0]) not in INLINE_LISTS_ALLOWED:
            problems.append(f"line {node.lineno}: {module} writes a list of choices inline ({kind}); "
                            "declare it once and read it through painsim.app.choices")
    return problems


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        yield path, ".".join(rel.parts).removesuffix(".__init__")


@pytest.mark.parametrize(("path", "module"), list(_modules()), ids=lambda v: str(v) if isinstance(v, str) else "")
def test_no_import_runs_back_up_and_no_private_is_borrowed(path, module):
    problems = problems_of(module, path.read_text())
    assert not problems, f"{module}:\n" + "\n".join(problems)


@pytest.mark.parametrize(("path", "module"), [(p, m) for p, m in _modules() if _package(m) in FACES],
                         ids=lambda v: str(v) if isinstance(v, str) else "")
def test_no_face_writes_a_list_of_choices_inline(path, module):
    problems = inline_lists_of(module, path.read_text())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("source", [
    "from enum import StrEnum\nclass Method(StrEnum):\n    sobol = 'sobol'\n",
    "from typing import Literal\ndef f(x: Literal['parquet', 'csv']): ...\n",
    "import click\nopt = click.Choice(['a', 'b'])\n",
])
def test_the_inline_list_checker_finds_each_kind(source):
    assert inline_lists_of("painsim.cli.store_commands", source)
    assert not inline_lists_of("painsim.trials.spec", source)  # a pillar declares its own lists


def test_every_package_has_a_layer():
    packages = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
                if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.name != "__init__.py"}
    assert packages == set(LAYERS)


@pytest.mark.parametrize(("module", "source", "expected"), [
    ("painsim.engine.kernel", "from painsim.outcomes import tables", "engine (layer 2) imports painsim.outcomes"),
    ("painsim.trials.power", "def f():\n    import painsim.app\n", "trials (layer 6) imports painsim.app"),
    ("painsim.sweeps.runner", "from painsim.store._fs import fsync_dir", "borrows private painsim.store._fs"),
    ("painsim.care.plan", "from painsim.engine.params import _p", "borrows private painsim.engine.params ['_p']"),
    ("painsim.outcomes.figures", "from painsim.scenario import ScenarioResult", "outcomes (layer 4) imports"),
    ("painsim.cli.trial_commands", "from painsim.cli.meta_commands import run", "command module"),
    ("painsim.cli.meta_commands", "from painsim.cli.app import app", "command module"),
    ("painsim.engine.kernel", "from painsim.newpackage import x", "has no layer"),
])
def test_the_checker_finds_each_kind_of_violation(module, source, expected):
    assert any(expected in problem for problem in problems_of(module, source))


def test_a_type_only_exception_holds_only_under_type_checking():
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from painsim.scenario import ScenarioResult\n"
    assert problems_of("painsim.outcomes.figures", source) == []
    assert problems_of("painsim.outcomes.care_outcomes", source)
