"""How long a loop that looks for work sleeps between looks: ``shortest`` after a look
that found work (or when work is reported from elsewhere), twice as long after each look
that found none, up to ``longest``. An idle stack then costs a look every ``longest``
instead of every ``shortest`` (issue 18, item 6), while work keeps the loop at
``shortest``. Nothing is skipped by it: every look still happens, only further apart."""
from __future__ import annotations


class Pace:
    def __init__(self, shortest: float, longest: float):
        self.shortest = max(0.0, float(shortest))
        self.longest = max(self.shortest, float(longest))
        self.current = self.shortest

    def found(self, work: bool) -> float:
        """After a look: the next wait (``shortest`` if it found work, else doubled)."""
        if work:
            self.current = self.shortest
        else:
            self.current = min(self.longest, max(self.current * 2, self.shortest) or self.longest)
        return self.current

    def busy(self) -> None:
        """Work was seen elsewhere (a delivery, a commit): look again within ``shortest``."""
        self.current = self.shortest
