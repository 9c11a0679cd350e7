"""Regenerate the generated sections of docs/model.md from the code.

    python scripts/gen_model_docs.py          # rewrite docs/model.md in place
    python scripts/gen_model_docs.py --check  # exit 1 if docs/model.md is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from painsim.engine.diagram import mermaid
from painsim.engine.params import ModelParams
from painsim.engine.population import DEFAULT_CORRELATIONS, DEFAULT_MARGINALS

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"


def params_table() -> str:
    lines = ["| parameter | value | meaning | source or rationale |", "|---|---:|---|---|"]
    for row in ModelParams.table():
        lines.append(f"| `{row['name']}` | {row['default']:.4g} | {row['meaning']} | {row['source']} |")
    return "\n".join(lines)


def traits_table() -> str:
    lines = ["| trait | median | spread (logit SD) |", "|---|---:|---:|"]
    for name, m in DEFAULT_MARGINALS.items():
        lines.append(f"| `{name}` | {m.median:g} | {m.spread:g} |")
    lines += ["", "| traits | correlation |", "|---|---:|"]
    for (a, b), r in DEFAULT_CORRELATIONS.items():
        lines.append(f"| `{a}` ~ `{b}` | {r:+.2f} |")
    return "\n".join(lines)


SECTIONS = {
    "params": params_table,
    "traits": traits_table,
    "mermaid": lambda: f"```mermaid\n{mermaid()}\n```",
}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main() -> int:
    current = DOC.read_text()
    fresh = render(current)
    if "--check" in sys.argv:
        if fresh != current:
            print("docs/model.md is out of date: run python scripts/gen_model_docs.py")
            return 1
        return 0
    DOC.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
