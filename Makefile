# Two commands do all set-up on a fresh machine:
#   make demo   -> builds .venv and runs the whole pipeline on the embedded store
#   make test   -> builds .venv and runs lint, type checks and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS ?= dev

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS)]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/adr-graph run

lint: $(STAMP)
	$(BIN)/ruff check adr_graph tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

bench: $(STAMP)
	$(BIN)/python benchmarks/build_graph.py

clean:
	rm -rf $(VENV) .adr-graph .pytest_cache .mypy_cache .ruff_cache
