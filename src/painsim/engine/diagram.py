"""The causal-loop diagram, drawn from the loop table in :mod:`painsim.engine.loops`.

``python -m painsim.engine.diagram docs/img/causal_loops.png`` redraws the picture and
prints the Mermaid source embedded in docs/model.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from painsim.engine.loops import LOOPS, REINFORCING, edges

# Hand-placed positions: biology left, psychology right, social bottom, pain in the middle.
POSITIONS: dict[str, tuple[float, float]] = {
    "pain": (0.0, 0.0),
    "sensitization": (-1.6, 1.1),
    "sleep": (-2.6, -0.2),
    "stress_hormones": (-1.7, -1.5),
    "inflammation": (-0.4, -1.7),
    "strain": (-0.5, -3.0),
    "support": (-2.9, -2.6),
    "tissue": (-0.2, 1.9),
    "threat": (1.6, 1.2),
    "guarding": (1.0, 2.4),
    "fear_avoidance": (2.8, 0.3),
    "activity": (3.0, -1.0),
    "conditioning": (1.0, -2.0),
    "self_efficacy": (2.4, -2.9),
}
GROUP_COLOURS = {"biology": "#d8e8f5", "psychology": "#f7e3d3", "social": "#e2f0d9",
                 "observed": "#f9d6d5"}
GROUPS = {"pain": "observed", "activity": "observed", "threat": "psychology",
          "fear_avoidance": "psychology", "self_efficacy": "psychology", "strain": "social",
          "support": "social"}


def mermaid() -> str:
    """Mermaid flowchart of every edge: solid '+' arrows, dashed '-' arrows."""
    lines = ["flowchart LR"]
    for edge in edges():
        arrow = "-->|+|" if edge.sign > 0 else "-.->|−|"
        lines.append(f"    {edge.source} {arrow} {edge.target}")
    return "\n".join(lines)


def draw(path: str | Path) -> Path:
    """Draw the diagram to ``path`` (PNG or SVG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    fig, ax = plt.subplots(figsize=(11, 8))
    for edge in edges():
        (x0, y0), (x1, y1) = POSITIONS[edge.source], POSITIONS[edge.target]
        colour = "#1f5fa8" if edge.sign > 0 else "#c0392b"
        ax.add_patch(FancyArrowPatch(
            (x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=16, lw=1.6, color=colour,
            linestyle="-" if edge.sign > 0 else "--", connectionstyle="arc3,rad=0.18",
            shrinkA=26, shrinkB=26, zorder=1))
        # midpoint of the arc3 Bezier curve (control point offset by rad * perpendicular)
        mx = (x0 + x1) / 2 + 0.5 * 0.18 * (y1 - y0)
        my = (y0 + y1) / 2 - 0.5 * 0.18 * (x1 - x0)
        ax.text(mx, my, "+" if edge.sign > 0 else "−", color=colour, fontsize=12,
                fontweight="bold", ha="center", va="center", zorder=3,
                bbox={"boxstyle": "circle,pad=0.1", "fc": "white", "ec": "none"})
    for node, (x, y) in POSITIONS.items():
        colour = GROUP_COLOURS[GROUPS.get(node, "biology")]
        ax.text(x, y, node.replace("_", "\n"), ha="center", va="center", fontsize=10, zorder=4,
                bbox={"boxstyle": "round,pad=0.45", "fc": colour, "ec": "0.3"})
    legend = "\n".join(f"{loop.label}" for loop in LOOPS)
    ax.text(3.6, 2.6, "Loops\n" + legend, fontsize=9, va="top", ha="left",
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.6"})
    ax.text(-3.4, 2.6, "blue +: same direction\nred − (dashed): opposite direction\n"
            f"{len(REINFORCING)} reinforcing loops through pain",
            fontsize=9, va="top")
    ax.set_xlim(-3.6, 5.6)
    ax.set_ylim(-3.5, 2.9)
    ax.set_axis_off()
    ax.set_title("painsim causal-loop diagram (drawn from painsim.engine.loops)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "docs/img/causal_loops.png"
    print(draw(target))
    print(mermaid())
