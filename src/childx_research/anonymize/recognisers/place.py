"""Places: multi-word places from the gazetteer and their tails ("X centrum"): rules of the token
stage (one-word places are decided with the names, :mod:`.person`).
"""

from __future__ import annotations

from .common import FACILITY_SUFFIXES, PLACE_TAILS


class PlaceRules:
    """Rules of the token stage (mixed into :class:`.names._Pass`)."""

    def place_compound(self, i: int) -> bool:
        """A place or a proper noun joined to a facility ("<ort>badet", "<stadsdel>torget"),
        in any case; not an ordinary compound ("stadsbadet", "friluftsbadet")."""
        low, lex = self.lows[i], self.lex
        for suf in FACILITY_SUFFIXES:
            if low.endswith(suf) and len(low) > len(suf):
                stem = low[: -len(suf)]
                for st in (stem, stem[:-1] if stem.endswith("s") else ""):  # "<ort>sbadet"
                    if len(st) >= 3 and (lex.is_place(st) or (st in lex.proper and not lex.is_ordinary(st))) \
                            and st not in lex.allow:
                        return True
                return False
        return False

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
