# evaltools — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UVENV  := .uv
UV     := $(UVENV)/bin/uv
STAMP  := $(VENV)/.synced
DEMO   := data/demo
RUNS   := runs

.PHONY: demo test lab bench clean install browser templates

install: $(STAMP)

# uv lives in its own small venv so that syncing the project's .venv never removes it.
$(UV):
	$(PYTHON) -m venv $(UVENV)
	$(UVENV)/bin/python -m pip install --quiet --disable-pip-version-check uv

$(STAMP): pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON=$(PYTHON) UV_COMPILE_BYTECODE=1 $(UV) sync --locked --quiet --reinstall-package evaltools
	$(BIN)/python -m ipykernel install --sys-prefix --name evaltools --display-name "evaltools (Python 3)" >/dev/null
	touch $(STAMP)

# Headless Chromium for the browser tests (Debian package); skipped where it is present.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; }

demo: $(STAMP)
	@test -e $(DEMO) || $(BIN)/evaltools demo-data $(DEMO) --seed 0 --format xlsx
	$(BIN)/evaltools validate $(DEMO)
	$(BIN)/evaltools run endline --data $(DEMO) --out $(RUNS)

test: $(STAMP) browser
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env tests/nbval -o addopts=""

# make bench ARGS="--scale 20000": the analysis at another size (all options: python -m evaltools.bench --help)
bench: $(STAMP)
	$(BIN)/python -m evaltools.bench $(ARGS)

templates: $(STAMP)
	$(BIN)/evaltools templates data_templates/pl --lang pl
	$(BIN)/evaltools templates data_templates/en --lang en

# JupyterLab on the repository, opened at the notebooks (evaltools/notebooks); their defaults read the demo.
lab: $(STAMP)
	@test -e $(DEMO) || $(BIN)/evaltools demo-data $(DEMO) --seed 0 --format xlsx
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/evaltools/notebooks

clean:
	rm -rf $(VENV) $(UVENV) .pytest_cache .bench build *.egg-info
