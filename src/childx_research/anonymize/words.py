"""The one loader of the anonymiser's word lists.

Every list of words the recognisers and the lexicon use is a data file in ``wordlists/``:
``NAME.txt`` holds one entry a line (``#`` starts a comment line; an entry may contain a
space or a tab), and ``platforms.yaml`` names the chat platforms, in one place, for every
rule that needs them. Adding a word is editing a file, not Python.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..yamlio import read_yaml  # duplicate keys refused
from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import InputError

WORDLISTS = Path(__file__).resolve().parent / "wordlists"


@lru_cache(maxsize=None)
def word_list(name: str) -> tuple[str, ...]:
    """The entries of ``wordlists/<name>.txt`` in file order (stripped, no comments)."""
    path = WORDLISTS / f"{name}.txt"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return tuple(out)


def word_set(name: str) -> frozenset[str]:
    return _word_set(name)


@lru_cache(maxsize=None)
def _word_set(name: str) -> frozenset[str]:
    return frozenset(word_list(name))


class Platforms(BaseModel):
    """``wordlists/platforms.yaml``: the chat platforms, in one place."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: every name and spelling that is a platform ("snap", "snappen", "tik tok")
    names: tuple[str, ...]
    #: the names whose one-slip typos also count ("snapcaht", "instagarm")
    typo_bases: tuple[str, ...]
    #: one-slip variants of those that are ordinary words, not platforms
    typo_exceptions: tuple[str, ...]
    #: spellings that only open the handle rules (checked by the rule itself)
    trigger_spellings: tuple[str, ...]
    #: the platforms' web domains: the bare domain is kept, a path on it (a profile) is masked
    domains: tuple[str, ...]


@lru_cache(maxsize=1)
def platforms() -> Platforms:
    path = WORDLISTS / "platforms.yaml"
    try:
        return Platforms.model_validate(read_yaml(path, "word list"))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"{err['msg']}", path=path, key=".".join(str(p) for p in err["loc"])) from None
