# Makefile verbs for the ChildX research workbench.
#   make demo  - the whole pipeline on built-in synthetic data (sets itself up)
#   make test  - the test suite (sets itself up)
#   make lab   - JupyterLab with the project's kernel
#   make annotate - Label Studio on 127.0.0.1 with the project and tasks (sets itself up)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# torch is pinned once, in pyproject.toml; it is installed first so that pip takes the
# CPU wheel and nothing pulls a multi-GB CUDA build.
TORCH_PIN := $(shell grep -o '"torch==[^"]*"' pyproject.toml | tr -d '"')
# Label Studio pins its own Django stack: it lives in its own venv, never in .venv.
LS_VENV ?= .venv-labelstudio
LS_REQ := annotation/labelstudio-requirements.txt
LS_STAMP := $(LS_VENV)/.installed
# What `make annotate` pushes: anonymised conversations (default: a synthetic example).
ANNOTATE_INPUT ?= data/annotate/conversations.jsonl
ANNOTATE_EXAMPLE := data/annotate/conversations.jsonl
# Hand-labelled conversations `make demo` measures the chosen model on, when they are there
# (never trained on; the product does not need them): DEV_SETS="a.jsonl b.jsonl" for your own.
DEV_SETS ?= $(wildcard ../shared/data/dev-conversations*.jsonl)

export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export MPLBACKEND := Agg

.PHONY: setup labelstudio labelstudio-template browser r-surveillance postgres demo test lab annotate generate benchmark clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PIN)
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name childx-research --display-name "ChildX (childx-research)" >/dev/null
	@touch $(STAMP)

# Label Studio in .venv-labelstudio, from exact pins (about a minute, once).
labelstudio: $(LS_STAMP)

$(LS_STAMP): $(LS_REQ)
	@test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/python -m pip install --quiet -r $(LS_REQ)
	rm -rf $(LS_VENV)/childx-db-template
	@touch $(LS_STAMP)

# After changing the Label Studio pin: store the new migrated empty database in annotation/
# (so that a fresh data folder starts in seconds instead of running ~400 migrations).
labelstudio-template: setup labelstudio
	$(PY) -c "from childx_research.annotate.server import write_shipped_db_template as w; print(w())"

# Debian's chromium for the browser test; installed when missing and we are root,
# otherwise the browser test skips and says why.
CHROMIUM ?= chromium
browser:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (Debian) for the browser test"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "could not install chromium: the browser test will be skipped"; \
	  else echo "chromium is missing and we are not root: the browser test will be skipped"; fi; }

# Debian's R and surveillance (1.20.3) for the test against R's farringtonFlexible; installed
# when missing and we are root, otherwise that test skips and says why.
r-surveillance:
	@{ command -v Rscript >/dev/null 2>&1 && Rscript -e 'suppressMessages(library(surveillance))' >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing r-cran-surveillance (Debian) for the test against R"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      r-base-core r-cran-surveillance >/dev/null \
	      || echo "could not install r-cran-surveillance: the test against R will be skipped"; \
	  else echo "R surveillance is missing and we are not root: the test against R will be skipped"; fi; }

# Debian's PostgreSQL server for the test of Label Studio on PostgreSQL (the test starts a
# throwaway cluster of its own); installed when missing and we are root, otherwise that
# test skips and says why.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing postgresql (Debian) for the test of Label Studio on PostgreSQL"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      postgresql >/dev/null \
	      || echo "could not install postgresql: the test of Label Studio on PostgreSQL will be skipped"; \
	  else echo "postgresql is missing and we are not root: the test of Label Studio on PostgreSQL will be skipped"; fi; }

demo: setup labelstudio
	$(VENV)/bin/childx demo $(foreach f,$(DEV_SETS),--dev $(f))

test: setup labelstudio browser r-surveillance postgres
	$(PY) -m pytest

# Label Studio on http://127.0.0.1:8080 with the form's project and tasks; Ctrl-C stops it.
annotate: setup labelstudio
	@if [ ! -s "$(ANNOTATE_INPUT)" ] && [ "$(ANNOTATE_INPUT)" = "$(ANNOTATE_EXAMPLE)" ]; then \
	  $(VENV)/bin/childx generate --n 200 --seed 1 --out data/annotate/generated && \
	  $(VENV)/bin/childx anonymize --input data/annotate/generated/conversations.jsonl --output $(ANNOTATE_EXAMPLE); fi
	$(VENV)/bin/childx annotate serve --push $(ANNOTATE_INPUT)

lab: setup
	$(VENV)/bin/jupyter lab --config=jupyter_lab_config.py $(if $(filter 0,$(shell id -u)),--allow-root)

generate: setup
	$(VENV)/bin/childx generate --n 2000 --seed 1 --out data/generated

benchmark: setup
	$(PY) evaluation/benchmarks/generate_speed.py

clean:
	rm -rf runs/demo .pytest_cache
