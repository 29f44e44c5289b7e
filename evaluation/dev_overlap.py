"""Check: does any committed file repeat a run of words from the hand-written dev sets?

    .venv/bin/python evaluation/dev_overlap.py [--dev PATH ...] [--n 7] [FILE ...]

The dev sets (``../shared/data/dev-conversations*.jsonl``) are for measuring only: no
sentence, phrase or n-gram of theirs may appear in the product, its phrase banks, word lists,
rules or tests. This script collects every ``--n``-word run (default 7, lower-cased, words
as ``\\w+``) of every dev-set message and looks for it in the given files (default: every
tracked text file of the repository). Phrase-bank alternatives written ``[a|b]`` are expanded
(at most 500 combinations a line) and ``{slot}`` placeholders and ``//`` message breaks count
as word boundaries, so a phrase the generator can produce is checked, not only its source line;
runs that cross from one line into the next are checked too.

Prints ``file:line: <n-gram>`` per hit (the n-gram, not the dev-set sentence around it) and
exits 1 when there is any; exits 0 with a note when no dev set is found (a fresh clone
without ``../shared``). Short overlaps of ordinary Swedish ("hur gammal är du") are expected
and are why the default is seven words.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_NAMES = ("dev-conversations.jsonl", "dev-conversations-2.jsonl")
TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".txt", ".json", ".jsonl", ".md", ".ipynb", ".xml", ".html", ".cfg", ".toml"}
_WORD = re.compile(r"\w+")
_ALTERNATIVES = re.compile(r"\[([^\]]*)\]")
_SLOT = re.compile(r"\{[^}]*\}")


def default_dev_paths() -> list[Path]:
    for base in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data"):
        found = [base / name for name in DEV_NAMES if (base / name).is_file()]
        if found:
            return found
    return []


def ngrams(text: str, n: int) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def dev_ngrams(paths: list[Path], n: int) -> set[str]:
    grams: set[str] = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                for message in json.loads(line).get("messages", []):
                    grams |= ngrams(message.get("text", ""), n)
    return grams


def expansions(line: str, limit: int = 500):
    parts = _ALTERNATIVES.split(line)
    options = [[p] if i % 2 == 0 else p.split("|") for i, p in enumerate(parts)]
    for combo in itertools.islice(itertools.product(*options), limit):
        yield _SLOT.sub(" ", "".join(combo)).replace("//", " ")


def find_overlaps(files: list[Path], grams: set[str], n: int) -> list[tuple[Path, int, str]]:
    hits = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        seen: set[str] = set()
        for number, line in enumerate(text.splitlines(), 1):
            found = set()
            for variant in expansions(line):
                found |= ngrams(variant, n) & grams
            hits.extend((path, number, g) for g in sorted(found))
            seen |= found
        # runs that cross a line break (the end of one phrase and the start of the next)
        words = [(w.lower(), number) for number, line in enumerate(text.splitlines(), 1) for w in _WORD.findall(line)]
        for i in range(len(words) - n + 1):
            g = " ".join(w for w, _ in words[i:i + n])
            if g in grams and g not in seen:
                seen.add(g)
                hits.append((path, words[i][1], g))
    return hits


def tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / p for p in out.splitlines() if Path(p).suffix in TEXT_SUFFIXES]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, action="append", help="a dev set (repeatable); default ../shared/data")
    ap.add_argument("--n", type=int, default=7, help="words in a run (default 7)")
    ap.add_argument("files", nargs="*", type=Path)
    args = ap.parse_args(argv)
    dev = args.dev or default_dev_paths()
    if not dev:
        print("no dev set found beside the repository (../shared/data); nothing to check")
        return 0
    files = args.files or tracked_text_files()
    hits = find_overlaps(files, dev_ngrams(dev, args.n), args.n)
    for path, number, gram in hits:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"{shown}:{number}: {gram}")
    print(f"{len(files)} files checked against {len(dev)} dev set(s): {len(hits)} {args.n}-word overlaps")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
