# Makefile verbs for the ChildX research workbench.
#   make demo  - the whole pipeline on built-in synthetic data (sets itself up)
#   make test  - the test suite (sets itself up)
#   make lab   - JupyterLab with the project's kernel
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# torch is pinned once, in pyproject.toml; it is installed first so that pip takes the
# CPU wheel and nothing pulls a multi-GB CUDA build.
TORCH_PIN := $(shell grep -o '"torch==[^"]*"' pyproject.toml | tr -d '"')

export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export MPLBACKEND := Agg

.PHONY: setup demo test lab generate benchmark clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PIN)
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name childx-research --display-name "ChildX (childx-research)" >/dev/null
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/childx demo

test: setup
	$(PY) -m pytest

lab: setup
	$(VENV)/bin/jupyter lab --config=jupyter_lab_config.py $(if $(filter 0,$(shell id -u)),--allow-root)

generate: setup
	$(VENV)/bin/childx generate --n 2000 --seed 1 --out data/generated

benchmark: setup
	$(PY) evaluation/benchmarks/generate_speed.py

clean:
	rm -rf runs/demo .pytest_cache
