# cyclo: the education-quality cycle. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
YEAR ?= 2024
SEED ?= 1
JOBS ?= 2
export CYCLO_DB ?= $(CURDIR)/data/cyclo.duckdb

.DEFAULT_GOAL := help
.PHONY: help setup demo test lint format bench reports lab clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install the suite (done by every target)

demo: $(STAMP) ## a whole cycle for a synthetic region: data, database, reports
	$(BIN)/cyclo demo --seed $(SEED) --jobs $(JOBS)

test: $(STAMP) ## run the test suite
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff over the library, tests, benchmarks and notebooks
	$(BIN)/ruff check cyclolib tests bench notebooks

format: $(STAMP) ## format the code with ruff
	$(BIN)/ruff format cyclolib tests bench
	$(BIN)/ruff check --fix cyclolib tests bench notebooks

bench: $(STAMP) ## speed and memory figures, the suite against the plain way
	$(BIN)/python -m bench

reports: $(STAMP) ## HTML reports of every unit of the region for YEAR
	$(BIN)/cyclo reports --year $(YEAR) --jobs $(JOBS)

lab: $(STAMP) ## JupyterLab with the suite's kernel and the demo database
	test -f $(CYCLO_DB) || $(BIN)/cyclo demo --seed $(SEED) --no-reports
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 \
	  --display-name "Python 3 (cyclo)" >/dev/null
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter lab notebooks \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

clean: ## remove generated reports and caches (keeps data/ and .venv)
	rm -rf reports/*/ reports/index.html reports-private .pytest_cache .ruff_cache bench/out
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## also remove the database, generated data and .venv
	find data -mindepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf $(VENV)
