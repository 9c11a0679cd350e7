"""Regenerate the generated sections of docs/model.md and docs/care.md from the code.

    python scripts/gen_model_docs.py          # rewrite the docs in place
    python scripts/gen_model_docs.py --check  # exit 1 if a doc is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from painsim.care import REGISTRY, CareParams
from painsim.engine.diagram import mermaid
from painsim.engine.levers import ATTENDANCE_MODELS, EXPOSURES, HOOK_POINTS, KICK_OPS, KICK_TARGETS, LEVERS, TIMINGS
from painsim.engine.params import ModelParams
from painsim.engine.population import DEFAULT_CORRELATIONS, DEFAULT_MARGINALS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def params_table(model: type = ModelParams) -> str:
    lines = ["| parameter | value | meaning | source or rationale |", "|---|---:|---|---|"]
    for row in model.table():
        lines.append(f"| `{row['name']}` | {row['default']:.4g} | {row['meaning']} | {row['source']} |")
    return "\n".join(lines)


def care_params_table() -> str:
    """Visit-hook and built-in treatment parameters (plug-ins document their own)."""
    lines = ["| parameter | value | unit | declared by | meaning | source or rationale |",
             "|---|---:|---|---|---|---|"]
    for row in CareParams.table():
        owner = row["treatment"]
        if owner != "visit hooks" and not REGISTRY.is_builtin(owner):
            continue
        lines.append(f"| `{row['name']}` | {row['default']:.4g} | {row['unit']} | {owner} | {row['meaning']} "
                     f"| {row['source']} |")
    return "\n".join(lines)


def treatments_table() -> str:
    """The built-in treatments, from the registry's declarations."""
    lines = ["| treatment (TOML key) | label | sessions | exposure | effects on levers | kicks of states |",
             "|---|---|---|---|---|---|"]
    for cls in REGISTRY:
        if not REGISTRY.is_builtin(cls.name):
            continue
        d = cls.describe()
        sessions = "none" if cls.name == "usual_care" else \
            f"{'visit, ' if d['visit'] else ''}{d['attendance']}, {d['timing'].replace('_', ' ')}"
        exposure = d["exposure"] + (f" (decay `{d['decay']}`)" if d["decay"] else "")
        effects = "; ".join(f"{e['lever']} {e['op']} `{e['gain']}`" + (f" (cap {e['cap']:g})" if e["cap"] else "")
                            for e in d["effects"]) or "—"
        kicks = "; ".join(f"{k['state']} {k['op'].replace('_', ' ')} `{k['gain']}`" for k in d["kicks"]) or "—"
        lines.append(f"| `{cls.name}` | {cls.label} | {sessions} | {exposure} | {effects} | {kicks} |")
    return "\n".join(lines)


def levers_table() -> str:
    """Levers, hook points and the other choices a treatment declares (engine.levers)."""
    lines = ["| lever | kind | effect ops | read in phase | meaning |", "|---|---|---|---|---|"]
    lines += [f"| `{lv.name}` | {lv.kind} | {', '.join(lv.ops)} | {lv.phase} | {lv.meaning} |" for lv in LEVERS]
    lines += ["", "| hook point | what happens there |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in HOOK_POINTS.items()]
    lines += ["", "| declaration | allowed values |", "|---|---|",
              "| `attendance` | " + "; ".join(f"`{k}`: {v}" for k, v in ATTENDANCE_MODELS.items()) + " |",
              "| `timing` | " + "; ".join(f"`{k}`: {v}" for k, v in TIMINGS.items()) + " |",
              "| `exposure` | " + "; ".join(f"`{k}`: {v}" for k, v in EXPOSURES.items()) + " |",
              "| kick `state` | " + ", ".join(f"`{k}`" for k in KICK_TARGETS) + " |",
              "| kick `op` | " + ", ".join(f"`{k}`" for k in KICK_OPS) + " |"]
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
    "care_params": care_params_table,
    "treatments": treatments_table,
    "levers": levers_table,
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
