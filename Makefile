# vaebook: two commands do everything.
#   make book   set up .venv, execute every chapter, build the site into _build/html
#   make test   set up .venv, then lint (ruff), structure, assignments, unit tests (once per Keras backend),
#               every notebook executed in the quick profile by the book build (a failing cell or hidden check
#               fails it), and the built site in a real browser
#   make test-notebooks  the notebooks under nbval in the smoke profile (.ci/run runs them on Colab's versions,
#               on JAX and PyTorch; make test runs the same cells and checks in the quick profile)
#   make assignments   student notebooks and otter autograders for every chapter, in _build/assignments
#   make grade CHAPTER=NN SUBMISSIONS=dir [ROSTER=csv] [JOBS=n]   grade one assignment into a gradebook CSV
#   make test-colab     the unit tests and smoke notebooks in a second venv with Colab's versions (colab-pins.txt)
#   make test-backends  the smoke notebooks on JAX and PyTorch (make test runs them on TensorFlow)
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
# The site the browser test reads: the smoke book that test-book builds.
SITE ?= _build/quick/_build/html
COLAB_VENV ?= .venv-colab
COLAB_PY := $(COLAB_VENV)/bin/python
NOTEBOOK_BACKENDS ?= jax torch
NBVAL := -m pytest --nbval-lax --nbval-cell-timeout=900 -q --dist loadscope -p no:cacheprovider
# pytest's workers: -n JOBS through pytest-xdist; with one job, no worker process at all (-n 0 runs the tests in
# pytest's own process, which saves a second start-up and import of Keras per target).
XDIST = $(if $(filter 1,$(JOBS)),-n 0,-n $(JOBS))
# NO_SETUP=1 skips the install step (e.g. when several checkouts share one environment).
SETUP_DEP := $(if $(filter 1,$(NO_SETUP)),,$(STAMP))

export PYTHONPATH := $(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup book test test-unit test-structure test-assignments test-notebooks test-book test-browser-after-book test-browser test-colab \
	test-backends bench strip sync check clean assignments grade export-written lint format

$(STAMP): requirements.txt requirements-backends.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing requirements into $(VENV) (first time: several minutes)"
	@# --no-compile: no bytecode for the ~20,000 installed .py files up front (66 s of CPU here); Python compiles
	@# the modules a program imports on first use, and caches them.
	$(PY) -m pip install -q --no-compile -r requirements.txt -r requirements-backends.txt -e . 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@touch $@

setup: $(SETUP_DEP)

book: setup
	$(JB) build . --keep-going
	@echo "Open _build/html/index.html"

# make test executes every notebook once, in the quick profile, by the book build: every cell and every hidden
# check, with the numbers the text states (-W turns a failing cell into a failed build). The smoke profile runs the
# same cells and the same checks with smaller budgets; it is for the runs that cannot afford quick: .ci/run runs the
# smoke notebooks after make test on Colab's versions (make test-colab) and on JAX and PyTorch
# (make test-backends), and `make test-notebooks` runs them here. (Until 2 December 2026 make test ran them under
# nbval as well, on TensorFlow, a second execution of every notebook: 761 s of the pool's work, which put make test
# over 30 min.)
# After lint and the structure tests, the test targets share the two cores as one pool (make -j2): the quick book
# build starts first, as the longest, and whichever core is free takes the next target; the browser test reads the
# site as soon as the quick build has made it. Tests marked backend_independent (their result does not depend on
# the session's Keras backend) run in the TensorFlow session only (tests/conftest.py).
TEST_POOL := test-book test-unit-jax test-unit-tensorflow test-assignments test-unit-torch test-browser-after-book
test: setup
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint test-structure NO_SETUP=1; \
	VAEBOOK_ONCE_BACKEND=tensorflow $(MAKE) --no-print-directory -j2 --output-sync=target $(TEST_POOL) NO_SETUP=1 JOBS=1; \
	echo "make test: all passed in $$(( $$(date +%s) - start )) s (set-up not counted)"

test-browser-after-book: test-book
	@$(MAKE) --no-print-directory test-browser NO_SETUP=1

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
	@for backend in $(BACKENDS); do $(MAKE) --no-print-directory test-unit-$$backend NO_SETUP=1 || exit 1; done

# One backend's unit tests, timed.
test-unit-%: setup
	@start=$$(date +%s); \
	KERAS_BACKEND=$* $(PY) -m pytest tests -q --ignore=tests/book --ignore=tests/assignments --ignore=tests/site \
	  $(XDIST) -p no:cacheprovider; \
	echo "unit tests, KERAS_BACKEND=$*: $$(( $$(date +%s) - start )) s"

# Assignments: generated from every chapter, graded with otter; once (they do not depend on the Keras backend).
test-assignments: setup
	@start=$$(date +%s); \
	$(PY) -m pytest tests/assignments -q $(XDIST) -p no:cacheprovider; \
	echo "assignment tests: $$(( $$(date +%s) - start )) s"

assignments: setup
	$(PY) tools/assignments.py build --out _build/assignments

SUBMISSIONS ?=
CHAPTER ?=
# make grade CHAPTER=04 SUBMISSIONS=dir [ROSTER=roster.csv] [JOBS=n] [OUT=dir] [GRADE_OPTS="--cell-limit 600 ..."]
# (teaching.md); JOBS given on the command line is passed as -j, else the grader uses every core.
GRADE_ARGS = $(CHAPTER) $(SUBMISSIONS) --assignments _build/assignments $(if $(OUT),--out $(OUT)) \
  $(if $(ROSTER),--roster $(ROSTER))
grade: setup
	@test -n "$(CHAPTER)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade CHAPTER=NN SUBMISSIONS=folder [ROSTER=roster.csv] [JOBS=n] [OUT=dir] [GRADE_OPTS=...]"; exit 2; }
	@test -f _build/assignments/private/assignments.json || $(MAKE) --no-print-directory assignments NO_SETUP=1
	$(PY) tools/assignments.py grade $(GRADE_ARGS) $(if $(filter command line environment,$(origin JOBS)),-j $(JOBS)) $(GRADE_OPTS)

export-written: setup
	@test -n "$(CHAPTER)" -a -n "$(SUBMISSIONS)" || { echo "usage: make export-written CHAPTER=NN SUBMISSIONS=folder [ROSTER=roster.csv] [OUT=dir]"; exit 2; }
	@test -f _build/assignments/private/assignments.json || $(MAKE) --no-print-directory assignments NO_SETUP=1
	$(PY) tools/assignments.py export-written $(GRADE_ARGS) $(GRADE_OPTS)

test-notebooks: setup
	@start=$$(date +%s); \
	VAEBOOK_PROFILE=smoke $(PY) $(NBVAL) $(XDIST) chapters; \
	echo "nbval, smoke profile: $$(( $$(date +%s) - start )) s"

test-book: setup
	rm -rf _build/quick
	@start=$$(date +%s); \
	VAEBOOK_PROFILE=quick $(JB) build . --path-output _build/quick -W -n --keep-going; \
	echo "quick book build: $$(( $$(date +%s) - start )) s"

# The built site in Debian's chromium driven by Playwright (tests/site); screenshots go to _build/screenshots.
test-browser: setup
	@start=$$(date +%s); \
	VAEBOOK_SITE=$(SITE) $(PY) -m pytest tests/site -q -p no:cacheprovider; \
	echo "browser test: $$(( $$(date +%s) - start )) s"

# Colab's software stack: a second venv with exactly colab-pins.txt, vaebook installed by the bootstrap cell's
# pip command (fails if pip changed a pinned package), then the unit tests and the smoke notebooks in it.
# The notebooks run on TensorFlow (Colab's and the notebooks' default backend); the unit tests on COLAB_BACKENDS,
# by default PyTorch alone (the fastest of the three; with the notebooks that puts two backends, and every keras,
# numpy, scipy and scikit-learn call of the package, on Colab's versions within CI's time).
# `make test-colab COLAB_BACKENDS="tensorflow jax torch"` runs all three (a release check: TensorFlow's and JAX's
# unit tests take 11 and 13 min more, measured on a shared 2-core machine).
COLAB_BACKENDS ?= torch
test-colab:
	@start=$$(date +%s); \
	$(PYTHON) tools/colab_env.py $(COLAB_VENV); \
	t1=$$(date +%s); \
	for backend in $(COLAB_BACKENDS); do \
	  echo "== Colab versions: unit tests, KERAS_BACKEND=$$backend"; \
	  $(MAKE) --no-print-directory test-unit-$$backend PY=$(COLAB_PY) NO_SETUP=1 || exit 1; \
	done; \
	t2=$$(date +%s); \
	echo "== Colab versions: notebooks, smoke profile, KERAS_BACKEND=tensorflow"; \
	KERAS_BACKEND=tensorflow VAEBOOK_PROFILE=smoke $(COLAB_PY) $(NBVAL) $(XDIST) chapters; \
	t3=$$(date +%s); \
	echo "make test-colab: all passed in $$(( t3 - start )) s (venv and pip check $$(( t1 - start )) s," \
	  "unit tests [$(COLAB_BACKENDS)] $$(( t2 - t1 )) s, notebooks $$(( t3 - t2 )) s)"

# The smoke notebooks on the other Keras backends (the notebooks default to TensorFlow only if unset).
# PyTorch runs one OpenMP thread per kernel here: with its default threads, two notebook kernels at once spin
# against each other (one step of chapter 12's toy GAN: 7.3 ms alone, 45.6 ms each for two kernels at once, 7.0 ms
# each for two one-thread kernels; measured side by side on 2 cores).
test-backends: setup
	@for backend in $(NOTEBOOK_BACKENDS); do \
	  echo "== notebooks, smoke profile, KERAS_BACKEND=$$backend"; \
	  threads=$$(if [ "$$backend" = torch ]; then echo OMP_NUM_THREADS=1; fi); \
	  env $$threads KERAS_BACKEND=$$backend VAEBOOK_PROFILE=smoke $(PY) $(NBVAL) $(XDIST) chapters || exit 1; \
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
