"""Outcomes: summaries, tables and figures computed from simulation results."""

from painsim.outcomes.natural_history import NaturalHistory, natural_history

__all__ = ["NaturalHistory", "natural_history"]
