"""Regenerate the generated sections of docs/model.md and docs/care.md from the code.

    python scripts/gen_model_docs.py          # rewrite the docs in place
    python scripts/gen_model_docs.py --check  # exit 1 if a doc is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from painsim.care.params import CareParams
from painsim.engine.diagram import mermaid
from painsim.engine.params import ModelParams
from painsim.engine.population import DEFAULT_CORRELATIONS, DEFAULT_MARGINALS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def params_table(model: type = ModelParams) -> str:
    lines = ["| parameter | value | meaning | source or rationale |", "|---|---:|---|---|"]
    for row in model.table():
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
    "care_params": lambda: params_table(CareParams),
    "traits": traits_table,
    "mermaid": lambda: f"```mermaid\n{mermaid()}\n```",
}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main() -> int:
    stale = []
    for doc in (DOCS / "model.md", DOCS / "care.md"):
        current = doc.read_text()
        fresh = render(current)
        if fresh != current:
            stale.append(doc.name)
            if "--check" not in sys.argv:
                doc.write_text(fresh)
    if stale and "--check" in sys.argv:
        print(f"out of date: {', '.join(stale)}: run python scripts/gen_model_docs.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
