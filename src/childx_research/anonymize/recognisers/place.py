"""Places: multi-word places from the gazetteer and their tails ("X centrum"): rules of the token
stage (one-word places are decided with the names, :mod:`.person`).
"""

from __future__ import annotations

from .common import PLACE_TAILS


class PlaceRules:
    """Rules of the token stage (mixed into :class:`.names._Pass`)."""

    def extend_place(self, j: int) -> int:
        if self.adjacent(j, j + 1) and self.lows[j + 1] in PLACE_TAILS:
            return j + 1
        return j

    def multiword(self, i: int, table: dict[str, list[tuple[str, ...]]]) -> int | None:
        for entry in table.get(self.lows[i], ()):
            k = i
            for part in entry[1:]:
                k += 1
                if k >= self.n or self.lows[k] != part or not self.adjacent(k - 1, k):
                    break
            else:
                return k
        return None
