# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Everything Python goes into .venv; nbgrader needs the venv's bin on PATH (it calls `alembic`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install demo test serve wheelhouse bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip "setuptools>=77"  # pyproject.toml builds need setuptools ≥ 77 (offline builds too)
	$(BIN)/python -m pip install -q -e '.[test]' $(PIP_OFFLINE)
	touch $(STAMP)

install: $(STAMP)

node_modules/.bin/configurable-http-proxy: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	$(BIN)/partyquiz demo

# lint-imports checks the stage order in .importlinter (a lower stage importing a higher one fails the build)
test: install node_modules/.bin/configurable-http-proxy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -p no:cacheprovider

serve: install node_modules/.bin/configurable-http-proxy
	$(BIN)/partyquiz serve

# Offline machines: `make wheelhouse` here, copy the folder, then `make install PIP_OFFLINE="--no-index --find-links wheelhouse"`.
wheelhouse: install
	$(BIN)/python -m pip wheel -q -w wheelhouse '.[test]'

bench: install
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf grader/source grader/release grader/submitted grader/autograded grader/feedback grader/exchange grader/gradebook.db var out
