PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck clean admin browser

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

PACKAGES := connectors validation sync workers admin sandbox

test: lint
	$(BIN)/pytest

# the web admin on http://127.0.0.1:8000 (make the first account: orderhub users add NAME --main)
admin: $(BIN)/orderhub
	$(BIN)/orderhub db upgrade
	$(BIN)/orderhub admin

# the admin's browser tests alone; screenshots land in tests/artifacts/
browser: $(VENV)/.dev
	@test -x /usr/bin/chromium || (apt-get update -q && apt-get install -y -q chromium)
	$(BIN)/pytest -q tests/admin_web/test_web_browser.py

lint: $(VENV)/.dev
	$(BIN)/ruff check $(PACKAGES) tests bench
	$(BIN)/mypy $(PACKAGES)
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache var
