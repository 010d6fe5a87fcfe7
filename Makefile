# vaebook: plain targets that call scripts; the scheduling lives in tools/build.py and tools/gate.py.
#   make book        set up .venv, execute every chapter (quick profile, cached), build the site into _build/html
#   make notebooks   reader notebooks for Jupyter and Colab (no raw MyST, the site's numbers) in _build/notebooks
#   make pdf         the book as one PDF in _build/pdf from book's execution cache (tools/pdf.py), and its test
#   make test        set up .venv, run the full gate (tools/gate.py full): what .ci/run runs
#   make test-fast   the fast tier (tools/gate.py fast): lint, structure, unit tests on TensorFlow, smoke notebooks
#   RECORD=1 make test   also write records of the run (records/) and re-render status.md
#   make assignments; make grade CHAPTER=NN SUBMISSIONS=dir [ROSTER=csv] [JOBS=n]   (teaching.md)
#   make test-grader-archive   a grader archive installed in a fresh venv grades a submission (release check)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.vaebook-installed
JOBS ?= 2
PROFILE ?= $(or $(VAEBOOK_PROFILE),quick)

export PYTHONPATH := $(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup preflight-fast preflight-full preflight-pdf book pdf test test-fast lint format notebooks assignments grade export-written test-grader-archive test-colab bench strip sync check clean

# One environment, pinned to Google Colab's versions (colab-pins.txt as constraints) except PyTorch and JAX, which
# requirements-backends.txt sets (README: "Colab's versions"). --no-compile: Python compiles what it imports.
$(STAMP): requirements.txt requirements-backends.txt pyproject.toml colab-pins.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing requirements into $(VENV) (first time: several minutes)"
	grep -vE '^(torch|jax|jaxlib)==' colab-pins.txt > $(VENV)/constraints.txt
	$(PY) -m pip install -q --no-compile -c $(VENV)/constraints.txt -r requirements.txt -r requirements-backends.txt \
	  -e . 2>&1 | { grep -v "is ignored: it is neither" || true; }
	@touch $@

setup: $(STAMP)

book: setup
	$(PY) tools/build.py --profile $(PROFILE) --jobs $(JOBS)
	@echo "Open _build/html/index.html"

# The book as one PDF (_build/pdf/vaebook.pdf, copied into a built site) from the execution cache, and its test.
preflight-pdf:
	$(PYTHON) tools/pdf.py --preflight

pdf: preflight-pdf setup
	$(PY) tools/pdf.py --profile $(PROFILE) --jobs $(JOBS) $(if $(wildcard _build/html/index.html),--site _build/html) && $(PY) -m pytest tests/pdf -q

# Before the set-up: a missing system tool (chromium, node) stops make test at once, not after twenty minutes.
preflight-%:
	$(PYTHON) tools/gate.py $* --preflight

test: preflight-full setup
	$(PY) tools/gate.py full --jobs $(JOBS) $(if $(RECORD),--record)

test-fast: preflight-fast setup
	$(PY) tools/gate.py fast --jobs $(JOBS) $(if $(RECORD),--record)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

assignments: setup
	$(PY) tools/assignments.py build --out _build/assignments

# The chapters as a reader meets them in Jupyter or Colab (tools/reader_notebooks.py): what the Colab buttons open.
notebooks: setup
	$(PY) tools/reader_notebooks.py build --out _build/notebooks

SUBMISSIONS ?=
CHAPTER ?=
# make grade CHAPTER=04 SUBMISSIONS=dir [ROSTER=roster.csv] [JOBS=n] [OUT=dir] [GRADE_OPTS="--cell-limit 600 ..."]
# (teaching.md); JOBS given on the command line is passed as -j, else the grader uses every core.
GRADE_ARGS = $(CHAPTER) $(SUBMISSIONS) --assignments _build/assignments $(if $(OUT),--out $(OUT)) \
  $(if $(ROSTER),--roster $(ROSTER))
ASSIGNMENTS := _build/assignments/private/assignments.json
$(ASSIGNMENTS): | setup
	$(PY) tools/assignments.py build --out _build/assignments

grade: setup $(ASSIGNMENTS)
	@test -n "$(CHAPTER)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade CHAPTER=NN SUBMISSIONS=folder [ROSTER=roster.csv] [JOBS=n] [OUT=dir] [GRADE_OPTS=...]"; exit 2; }
	$(PY) tools/assignments.py grade $(GRADE_ARGS) $(if $(filter command line environment,$(origin JOBS)),-j $(JOBS)) $(GRADE_OPTS)

export-written: setup $(ASSIGNMENTS)
	@test -n "$(CHAPTER)" -a -n "$(SUBMISSIONS)" || { echo "usage: make export-written CHAPTER=NN SUBMISSIONS=folder [ROSTER=roster.csv] [OUT=dir]"; exit 2; }
	$(PY) tools/assignments.py export-written $(GRADE_ARGS) $(GRADE_OPTS)

# A release check, not in make test: one assignment's grader archive installs its pinned requirements (the Keras
# stack, from the package registry) into a fresh venv and grades a reference and an untouched notebook (teaching.md).
test-grader-archive: setup
	VAEBOOK_CLEAN_ENV=1 $(PY) -m pytest -q -s tests/assignments/test_grading.py -k clean_virtual_environment

# A release check, not in make test: Colab's exact stack (PyTorch's CUDA wheel included) in a second venv.
test-colab:
	$(PYTHON) tools/colab_env.py .venv-colab
	KERAS_BACKEND=torch .venv-colab/bin/python -m pytest tests -q -n $(JOBS) --ignore=tests/book \
	  --ignore=tests/assignments --ignore=tests/site --ignore=tests/pdf

bench: setup
	for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script; done

strip:
	$(PYTHON) tools/notebooks.py strip

sync:
	$(PYTHON) tools/notebooks.py sync

check:
	$(PYTHON) tools/notebooks.py check

clean:
	rm -rf _build
