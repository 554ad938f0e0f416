# GraphRisk: one command to set up and run the main job, one to set up and run the tests.
# Each target creates its own virtualenv ($(VENV)) and installs what it needs; pip's cache
# (~/.cache/pip) keeps re-installs fast.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Re-install when pyproject.toml changes or the checkout moves (an editable install points here).
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-10)-$(shell echo $(CURDIR) | sha1sum | cut -c1-10)
GNN_STAMP := $(STAMP)-gnn
# Wheels kept outside any clone (torch is several GB): used when present, filled on first use.
WHEEL_CACHE ?= $(HOME)/.cache/graphrisk/wheels
PYTEST_ARGS ?=
# `make test` runs its own Neo4j (5.26 + GDS + APOC, from Maven Central) on a port of its own,
# with its data under .test-home/, and stops it afterwards.
NEO4J_TEST_PORT ?= 7697
NEO4J_TEST_HOME ?= $(CURDIR)/.test-home
NEO4J_TEST_ENV = GRAPHRISK_HOME=$(NEO4J_TEST_HOME) GRAPHRISK_NEO4J_PORT=$(NEO4J_TEST_PORT)

# The investigator page's JavaScript libraries (Cytoscape.js...) come from the npm registry
# and are copied into api/static/vendor/ (package data); rebuilt when web/package-lock.json
# changes.
WEB_STAMP := api/static/vendor/.built-$(shell cat web/package-lock.json 2>/dev/null | sha1sum | cut -c1-10)

.PHONY: setup setup-gnn neo4j-prereqs browser-prereqs demo test test-quick fuzz lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

$(WEB_STAMP): web/package.json web/package-lock.json scripts/build-web.sh
	bash scripts/build-web.sh
	@rm -f api/static/vendor/.built-*
	@touch $(WEB_STAMP)

setup: $(STAMP) $(WEB_STAMP)  ## create the virtualenv, install GraphRisk and build the page

$(GNN_STAMP): $(STAMP)
	@mkdir -p $(WHEEL_CACHE)
	$(BIN)/python -m pip download --quiet --dest $(WHEEL_CACHE) --find-links $(WHEEL_CACHE) \
		"torch>=2.2" "torch-geometric>=2.5"
	$(BIN)/python -m pip install --quiet --find-links $(WHEEL_CACHE) -e ".[dev,gnn]"
	@touch $(GNN_STAMP)

setup-gnn: $(GNN_STAMP)  ## also install torch and PyTorch Geometric for the GNN (models/)

demo: setup  ## generate a sample, load it into the embedded store, analyse, summarise
	$(BIN)/graphrisk demo

neo4j-prereqs:  ## a JDK 17, Maven and unzip for the local Neo4j (installed with apt if missing)
	@bash scripts/ensure-neo4j-prereqs.sh

browser-prereqs:  ## Debian's chromium for the browser tests (installed with apt if missing)
	@bash scripts/ensure-browser-prereqs.sh

test: setup-gnn $(WEB_STAMP) neo4j-prereqs browser-prereqs  ## the whole test suite, against the embedded store and a real local Neo4j
	$(NEO4J_TEST_ENV) bash neo4j-local/neo4j-local.sh start
	GRAPHRISK_NEO4J_URI=bolt://127.0.0.1:$(NEO4J_TEST_PORT) GRAPHRISK_REQUIRE_NEO4J=1 \
		$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 0 ]; then \
		GRAPHRISK_NEO4J_URI=bolt://127.0.0.1:$(NEO4J_TEST_PORT) GRAPHRISK_REQUIRE_NEO4J=1 \
		GRAPHRISK_NEO4J_LOCAL_HOME=$(NEO4J_TEST_HOME) \
		$(BIN)/python -m pytest tests/integration/test_neo4j_bulk.py $(PYTEST_ARGS); \
		status=$$?; fi; \
		$(NEO4J_TEST_ENV) bash neo4j-local/neo4j-local.sh stop; exit $$status

test-quick: setup-gnn $(WEB_STAMP)  ## the fast part of the suite, without Neo4j
	$(BIN)/python -m pytest -m "not slow and not neo4j" $(PYTEST_ARGS)

fuzz: setup-gnn  ## the property-based bad-input tests with many examples (GRAPHRISK_PROPERTY_EXAMPLES)
	GRAPHRISK_PROPERTY_EXAMPLES=$${GRAPHRISK_PROPERTY_EXAMPLES:-2000} \
		$(BIN)/python -m pytest tests/robustness -m "not neo4j" -k "never_raises or validate_like or with_a_reason or exactly_when" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check graphrisk ingestion models api tests benchmarks

bench: setup-gnn neo4j-prereqs  ## speed and quality figures: generator, ingest, Neo4j loading, analytics
	$(BIN)/python benchmarks/bench_generate.py --customers 100000 --repeat 3
	$(BIN)/python benchmarks/bench_ingest.py --customers 100000 --repeat 3
	$(NEO4J_TEST_ENV) bash neo4j-local/neo4j-local.sh start
	GRAPHRISK_NEO4J_URI=bolt://127.0.0.1:$(NEO4J_TEST_PORT) \
		$(BIN)/python benchmarks/bench_neo4j_load.py --customers 20000 && \
	GRAPHRISK_NEO4J_URI=bolt://127.0.0.1:$(NEO4J_TEST_PORT) \
	GRAPHRISK_NEO4J_LOCAL_HOME=$(NEO4J_TEST_HOME) \
		$(BIN)/python benchmarks/bench_neo4j_load.py --bulk --customers 100000 --repeat 3 && \
	GRAPHRISK_NEO4J_URI=bolt://127.0.0.1:$(NEO4J_TEST_PORT) \
		$(BIN)/python benchmarks/bench_analytics.py --customers 100000 --repeat 3 --neo4j \
		--scaling 10000,30000,100000; status=$$?; \
		$(NEO4J_TEST_ENV) bash neo4j-local/neo4j-local.sh stop; \
	[ $$status -eq 0 ] && $(BIN)/python benchmarks/bench_analytics.py --scaling \
		10000,100000,1000000 --repeat 1 --skip-quality --skip-speed; status=$$?; \
	exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .test-home
