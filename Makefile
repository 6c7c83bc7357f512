PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck clean

$(BIN)/orderhub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

demo: $(BIN)/orderhub
	$(BIN)/orderhub demo

test: $(VENV)/.dev
	$(BIN)/ruff check orderhub tests bench
	$(BIN)/mypy orderhub
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check orderhub tests bench
	$(BIN)/mypy orderhub

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache var
