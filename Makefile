# Two commands for a fresh machine with Python 3.11+:  `make run` (the bot)  and  `make test` (the tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test bench screenshots clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rethread needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(BIN)/.installed
	$(BIN)/rethread run

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest -n 4 --dist worksteal

bench: $(BIN)/.installed
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/replay.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache .hypothesis

# The README's pictures of the sandbox, taken in headless Chromium (apt-get install chromium chromium-driver).
screenshots: $(BIN)/.installed
	$(BIN)/python tools/screenshots.py
