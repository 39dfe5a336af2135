# jupyter_mlops — developer and demo entry points.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo lab labext ts-client test lint lint-ts format typecheck bench clean install system

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Building the JupyterLab extension (labextension/) needs Node >= 20.19; `jupyter-builder
# develop` links the built extension into the venv, so `make labext` + a page reload shows edits.
$(STAMP): pyproject.toml labextension/package.json labextension/yarn.lock | $(BIN)/python
	# A local extension build leaves an install.json that the wheel maps from labextension/.
	rm -f jupyter_mlops/labextension/install.json
	# torch's CPU build first, so the [frameworks] extra finds torch satisfied (no CUDA wheels).
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test,frameworks]"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter-builder develop --overwrite . >/dev/null
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

## Run the lifecycle headlessly on the embedded store (pipeline dev -> staging -> production,
## model promotion, drift monitoring with a triggered retrain), then print a summary.
demo: $(STAMP)
	$(BIN)/python -m jupyter_mlops.cli.demo

## Open JupyterLab on the example notebooks (the MLOps sidebar is on the left).
lab: $(STAMP)
	$(BIN)/jupyter lab example_notebooks

## Rebuild the JupyterLab extension after editing labextension/src (then reload the page).
labext: $(STAMP)
	cd labextension && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm build

## Regenerate the TypeScript wire types and client from the records and the route table.
ts-client: $(STAMP)
	$(BIN)/python -m jupyter_mlops.server.gen_client labextension/src

## The Debian packages the tests start (Chromium, PostgreSQL), installed when missing.
system:
	bash .ci/system-packages

## Lint, type-check and run the whole test suite (installing what it needs first).
# Two workers (the machines CI uses have two cores); each starts its own PostgreSQL and Jupyter
# servers, so the workers share nothing but the disk.
test: system lint typecheck
	$(BIN)/pytest -q -n 2

lint: lint-ts $(STAMP)
	$(BIN)/ruff check jupyter_mlops tests benchmarks
	$(BIN)/ruff format --check jupyter_mlops tests benchmarks
	$(BIN)/lint-imports --no-cache

# The extension's devDependencies (eslint, prettier): `make install` builds with them, and a
# tree whose build is up to date gets them here after package.json or yarn.lock change.
NODE_MODULES := labextension/node_modules/.yarn-state.yml
$(NODE_MODULES): labextension/package.json labextension/yarn.lock | $(STAMP)
	cd labextension && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm install >/dev/null
	touch $@

## The extension's TypeScript: prettier's layout, eslint (type-aware) and the compiler.
lint-ts: $(STAMP) $(NODE_MODULES)
	cd labextension && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm lint:check
	cd labextension && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm typecheck

format: $(STAMP)
	$(BIN)/ruff check --fix jupyter_mlops tests benchmarks
	$(BIN)/ruff format jupyter_mlops tests benchmarks
	cd labextension && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm lint

typecheck: $(STAMP)
	$(BIN)/mypy

## Benchmarks print ratios against anchors measured in the same run.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_hashing.py
	$(BIN)/python benchmarks/bench_tracking.py
	$(BIN)/python benchmarks/bench_capture.py
	$(BIN)/python benchmarks/bench_magics.py
	$(BIN)/python benchmarks/bench_versioning.py
	$(BIN)/python benchmarks/bench_registry.py
	$(BIN)/python benchmarks/bench_pipelines.py
	$(BIN)/python benchmarks/bench_drift.py

clean:
	rm -rf $(VENV) .mlops example_notebooks/output .mypy_cache .ruff_cache .pytest_cache
