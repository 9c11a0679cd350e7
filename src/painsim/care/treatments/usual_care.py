"""Usual care: nothing is added to the client's own course."""

from __future__ import annotations

from typing import ClassVar

from painsim.care.treatment import Treatment


class UsualCare(Treatment):
    """Continued usual care: nothing is added to the client's own course."""

    name: ClassVar[str] = "usual_care"
    label: ClassVar[str] = "Usual care"

    def compiles(self) -> bool:
        """Usual care adds nothing for the kernel to run."""
        return False
