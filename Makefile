# vaebook: two commands do everything.
#   make book   set up .venv, execute every chapter, build the site into _build/html
#   make test   set up .venv, then lint (ruff), structure, unit tests (once per Keras backend), notebooks (nbval), book build
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
RUFF := $(VENV)/bin/ruff
STAMP := $(VENV)/.vaebook-installed
BACKENDS ?= tensorflow jax torch
JOBS ?= 2
# NO_SETUP=1 skips the install step (e.g. when several checkouts share one environment).
SETUP_DEP := $(if $(filter 1,$(NO_SETUP)),,$(STAMP))

export PYTHONPATH := $(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup book test lint format test-unit test-structure test-notebooks test-book bench strip sync check clean

$(STAMP): requirements.txt requirements-backends.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing requirements into $(VENV) (first time: several minutes)"
	$(PY) -m pip install -q -r requirements.txt -r requirements-backends.txt -e . 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@touch $@

setup: $(SETUP_DEP)

book: setup
	$(JB) build . --keep-going
	@echo "Open _build/html/index.html"

# The notebooks run twice (nbval, then the book build); the two runs go side by side, one core each.
test: setup
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint test-structure test-unit NO_SETUP=1; \
	$(MAKE) --no-print-directory -j2 --output-sync=target test-notebooks test-book NO_SETUP=1 JOBS=1; \
	echo "make test: all passed in $$(( $$(date +%s) - start )) s"

# ruff (configured in pyproject.toml): lint the package, tests, tools and notebooks; check the .py formatting.
lint: setup
	$(RUFF) check .
	$(RUFF) format --check .

# Apply the formatter and the safe lint fixes.
format: setup
	$(RUFF) format .
	$(RUFF) check --fix .

test-structure: setup
	$(PY) -m pytest tests/book -q

test-unit: setup
	@for backend in $(BACKENDS); do \
	  echo "== unit tests, KERAS_BACKEND=$$backend"; \
	  KERAS_BACKEND=$$backend $(PY) -m pytest tests -q --ignore=tests/book -n $(JOBS) || exit 1; \
	done

test-notebooks: setup
	VAEBOOK_PROFILE=smoke $(PY) -m pytest --nbval-lax --nbval-cell-timeout=900 -q -n $(JOBS) --dist loadscope \
	  -p no:cacheprovider chapters

test-book: setup
	rm -rf _build/smoke
	VAEBOOK_PROFILE=smoke $(JB) build . --path-output _build/smoke -W -n --keep-going

bench: setup
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script; done

strip:
	$(PYTHON) tools/notebooks.py strip

sync:
	$(PYTHON) tools/notebooks.py sync

check:
	$(PYTHON) tools/notebooks.py check

clean:
	rm -rf _build
