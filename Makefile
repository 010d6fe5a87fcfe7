# vaebook: two commands do everything.
#   make book   set up .venv, execute every chapter, build the site into _build/html
#   make test   set up .venv, then unit tests (once per Keras backend), notebooks (nbval), book build, structure,
#               workflows (actionlint), and the built site in a real browser
#   make test-colab     the unit tests and smoke notebooks in a second venv with Colab's versions (colab-pins.txt)
#   make test-backends  the smoke notebooks on JAX and PyTorch (make test runs them on TensorFlow)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
STAMP := $(VENV)/.vaebook-installed
BACKENDS ?= tensorflow jax torch
JOBS ?= 2
# The site the browser test reads: the smoke book that test-book builds.
SITE ?= _build/smoke/_build/html
COLAB_VENV ?= .venv-colab
COLAB_PY := $(COLAB_VENV)/bin/python
NOTEBOOK_BACKENDS ?= jax torch
NBVAL := -m pytest --nbval-lax --nbval-cell-timeout=900 -q --dist loadscope -p no:cacheprovider
# NO_SETUP=1 skips the install step (e.g. when several checkouts share one environment).
SETUP_DEP := $(if $(filter 1,$(NO_SETUP)),,$(STAMP))

export PYTHONPATH := $(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup book test test-unit test-structure test-notebooks test-book test-browser test-colab test-backends \
	bench strip sync check clean

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
	$(MAKE) --no-print-directory test-structure test-unit NO_SETUP=1; \
	$(MAKE) --no-print-directory -j2 --output-sync=target test-notebooks test-book NO_SETUP=1 JOBS=1; \
	$(MAKE) --no-print-directory test-browser NO_SETUP=1; \
	echo "make test: all passed in $$(( $$(date +%s) - start )) s"

test-structure: setup
	$(PY) -m pytest tests/book -q

test-unit: setup
	@for backend in $(BACKENDS); do \
	  echo "== unit tests, KERAS_BACKEND=$$backend"; \
	  KERAS_BACKEND=$$backend $(PY) -m pytest tests -q --ignore=tests/book --ignore=tests/site -n $(JOBS) || exit 1; \
	done

test-notebooks: setup
	VAEBOOK_PROFILE=smoke $(PY) $(NBVAL) -n $(JOBS) chapters

test-book: setup
	rm -rf _build/smoke
	VAEBOOK_PROFILE=smoke $(JB) build . --path-output _build/smoke -W -n --keep-going

# The built site in Debian's chromium driven by Playwright (tests/site); screenshots go to _build/screenshots.
test-browser: setup
	VAEBOOK_SITE=$(SITE) $(PY) -m pytest tests/site -q

# Colab's software stack: a second venv with exactly colab-pins.txt, vaebook installed by the bootstrap cell's
# pip command (fails if pip changed a pinned package), then the unit tests and the smoke notebooks in it.
test-colab:
	@start=$$(date +%s); \
	$(PYTHON) tools/colab_env.py $(COLAB_VENV); \
	for backend in $(BACKENDS); do \
	  echo "== Colab versions: unit tests, KERAS_BACKEND=$$backend"; \
	  KERAS_BACKEND=$$backend $(COLAB_PY) -m pytest tests -q --ignore=tests/book --ignore=tests/site -n $(JOBS) || exit 1; \
	done; \
	echo "== Colab versions: notebooks, smoke profile"; \
	VAEBOOK_PROFILE=smoke $(COLAB_PY) $(NBVAL) -n $(JOBS) chapters; \
	echo "make test-colab: all passed in $$(( $$(date +%s) - start )) s"

# The smoke notebooks on the other Keras backends (the notebooks default to TensorFlow only if unset).
test-backends: setup
	@for backend in $(NOTEBOOK_BACKENDS); do \
	  echo "== notebooks, smoke profile, KERAS_BACKEND=$$backend"; \
	  KERAS_BACKEND=$$backend VAEBOOK_PROFILE=smoke $(PY) $(NBVAL) -n $(JOBS) chapters || exit 1; \
	done

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
