# GraphRisk: one command to set up and run the main job, one to set up and run the tests.
# Each target creates its own virtualenv ($(VENV)) and installs what it needs; pip's cache
# (~/.cache/pip) keeps re-installs fast.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Re-install when pyproject.toml changes or the checkout moves (an editable install points here).
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-10)-$(shell echo $(CURDIR) | sha1sum | cut -c1-10)
PYTEST_ARGS ?=

.PHONY: setup demo test test-quick lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)  ## create the virtualenv and install GraphRisk

demo: setup  ## generate a sample, load it into the embedded store, analyse, summarise
	$(BIN)/graphrisk demo

test: setup  ## the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-quick: setup  ## the fast part of the suite
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check graphrisk ingestion models api tests benchmarks

bench: setup  ## speed figures: generator and ingest at 100k customers
	$(BIN)/python benchmarks/bench_generate.py --customers 100000 --repeat 3
	$(BIN)/python benchmarks/bench_ingest.py --customers 100000 --repeat 3

clean:
	rm -rf $(VENV) .pytest_cache
