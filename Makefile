# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint format docs catalogues clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m pytest -q -m slow || [ $$? -eq 5 ]  # 5: no slow test at present
	$(BIN)/python -m bench.testgen_bench
	$(BIN)/python -m bench.omr_accuracy
	$(BIN)/python -m bench.omr_speed
	$(BIN)/python -m bench.scoring_bench
	$(BIN)/python -m bench.report_bench
	$(BIN)/python -m bench.session_bench
	$(BIN)/python -m bench.review_bench
	$(BIN)/python -m bench.scale_bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy testgen omr scoring common demo bench devtools testkit

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: $(STAMP)
	$(BIN)/python -m devtools.clidoc

catalogues: $(STAMP)  # after changing a message: extract, merge, compile; then translate the .po
	$(BIN)/python -m devtools.catalogues

clean:
	rm -rf build reports demo-out .pytest_cache
