"""The causal structure of the model: signed edges and the feedback loops they close.

This table is the single source for the causal-loop diagram in docs/model.md, for the
loop switches of the kernel (``loop_gains``) and for the sign tests, which perturb each
edge's source in the compiled kernel and check that its target moves the declared way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Edge:
    """A causal link ``source -> target``; ``sign`` is +1 (same direction) or -1."""

    source: str
    target: str
    sign: int


@dataclass(frozen=True)
class Loop:
    """A feedback loop: its edges in order, its kind and the edge its switch cuts."""

    name: str
    label: str
    kind: str  # "reinforcing" or "balancing"
    edges: tuple[Edge, ...]
    switch: Edge | None = None  # the loop-specific edge multiplied by the loop gain

    @property
    def polarity(self) -> int:
        """Product of the edge signs: +1 for a reinforcing loop, -1 for a balancing one."""
        sign = 1
        for edge in self.edges:
            sign *= edge.sign
        return sign


def _chain(*nodes_and_signs: str | int) -> tuple[Edge, ...]:
    """``_chain("a", +1, "b", -1, "c")`` -> edges a->b (+), b->c (-)."""
    items = list(nodes_and_signs)
    return tuple(
        Edge(items[i], items[i + 2], items[i + 1]) for i in range(0, len(items) - 2, 2)
    )


REINFORCING: tuple[Loop, ...] = (
    Loop(
        "wind_up", "R1 wind-up", "reinforcing",
        _chain("pain", +1, "sensitization", +1, "pain"),
        switch=Edge("pain", "sensitization", +1),
    ),
    Loop(
        "sleep", "R2 pain-sleep", "reinforcing",
        _chain("pain", -1, "sleep", -1, "stress_hormones", +1, "sensitization", +1, "pain"),
        switch=Edge("pain", "sleep", -1),
    ),
    Loop(
        "fear_avoidance", "R3 fear-avoidance", "reinforcing",
        _chain("pain", +1, "threat", +1, "fear_avoidance", -1, "activity", +1,
               "conditioning", -1, "pain"),
        switch=Edge("threat", "fear_avoidance", +1),
    ),
    Loop(
        "strain", "R4 strain-stress", "reinforcing",
        _chain("pain", +1, "strain", +1, "stress_hormones", +1, "inflammation", +1, "pain"),
        switch=Edge("pain", "strain", +1),
    ),
    Loop(
        "guarding", "R5 threat-guarding", "reinforcing",
        _chain("pain", +1, "threat", +1, "guarding", +1, "pain"),
        switch=Edge("threat", "guarding", +1),
    ),
)

# Recovery pathways: goal-seeking processes (a stock relaxing toward its set-point, drawn as
# a negative self-link) and paths that oppose pain. Only the reinforcing loops carry a
# polarity requirement; these are listed so that the diagram and the docs show them.
BALANCING: tuple[Loop, ...] = (
    Loop("healing", "B1 tissue healing", "balancing",
         (Edge("tissue", "pain", +1), Edge("tissue", "tissue", -1))),
    Loop(
        "self_efficacy", "B2 self-efficacy and activity", "balancing",
        _chain("self_efficacy", +1, "activity", +1, "conditioning", -1, "pain"),
    ),
    Loop(
        "inhibition", "B3 descending inhibition and habituation", "balancing",
        (Edge("self_efficacy", "pain", -1), Edge("sleep", "pain", -1),
         Edge("sensitization", "sensitization", -1)),
    ),
    Loop(
        "support", "B4 support buffers stress", "balancing",
        (Edge("support", "stress_hormones", -1), Edge("stress_hormones", "stress_hormones", -1)),
    ),
)

LOOPS: tuple[Loop, ...] = REINFORCING + BALANCING
LOOP_NAMES: tuple[str, ...] = tuple(loop.name for loop in REINFORCING)
L_WINDUP, L_SLEEP, L_FEAR, L_STRAIN, L_GUARD = range(len(REINFORCING))


def edges() -> list[Edge]:
    """Every distinct edge of every loop (self-links excluded)."""
    seen: dict[tuple[str, str], Edge] = {}
    for loop in LOOPS:
        for edge in loop.edges:
            if edge.source != edge.target:
                seen.setdefault((edge.source, edge.target), edge)
    return list(seen.values())
