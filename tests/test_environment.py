"""pyproject.toml and environment.yml must pin the same packages at the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(reqs: list[str]) -> dict[str, str]:
    out = {}
    for r in reqs:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;]+)\s*", r)
        assert m, f"not an exact pin: {r!r}"
        out[re.sub(r"[-_.]+", "-", m.group(1).lower())] = m.group(2)
    return out


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _pins(project["dependencies"]) | _pins(project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert _pins(pip) == declared
    assert "python=3.11" in env["dependencies"]


def test_torch_is_installed_first_from_the_pyproject_pin():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert not re.search(r"torch==[0-9]", makefile), "the torch pin lives in pyproject.toml only"
    assert makefile.index("$(TORCH_PIN)") < makefile.index('-e ".[test]"')
