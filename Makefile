# Entry points: make book | make test | make test-fast | make lab | make data | make env | make clean
# Everything runs inside .venv, created on first use from the exact pins in requirements*.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA_STAMP := data/raw/.fetched
# uv, the fast installer, lives outside the project (it is not one of the compendium's pins).
USE_UV     ?= 1
UV_VERSION := 0.13.9
UV_HOME    ?= $(HOME)/.cache/analysis-bootstrap/uv-$(UV_VERSION)
UV         := $(UV_HOME)/bin/uv
MATHJAX_VERSION := 3.2.2
MATHJAX := book/_vendor/mathjax/tex-mml-chtml.js
LEAFLET_VERSION := 1.9.4
LEAFLET := book/_vendor/leaflet/leaflet.js
BOOK_FLAGS := -W -n --keep-going
# Notebook validation (opt-in, see pyproject.toml): nbval executes every notebook once more and
# compares the cells tagged nbval-check-output with the executed notebooks.
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# The quick tier: unit and bad-input tests; no notebook, no browser, nothing that needs a build.
FAST  := not slow and not browser and not notebook and not build
# JupyterLab refuses to run as root unless told to (containers, Binder-like machines).
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root,)

# System programs, each with the Debian package that provides it. A missing one is installed with
# apt-get when running as root on a Debian-like machine; otherwise make stops with one message.
CHROMIUM_CMD     := chromium
CHROMEDRIVER_CMD := chromedriver
NPM_CMD          := npm

# $(call debian_need,WHAT,COMMAND:PACKAGE ...): install the package of every COMMAND not on PATH,
# checking each command separately, then check again that every COMMAND is there.
define debian_need
missing=""; \
for pair in $(2); do command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    echo "$(1): installing Debian package(s)$$missing with apt-get"; \
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } \
      || { echo "error: apt-get could not install$$missing (needed by $(1))." >&2; exit 1; }; \
  else \
    echo "error: $(1) needs the Debian package(s)$$missing, which are not installed and cannot be installed from here" \
      "(apt-get needs root on a Debian-like system). Install them, e.g. sudo apt-get update && sudo apt-get install$$missing, then rerun." >&2; \
    exit 1; \
  fi; \
  for pair in $(2); do command -v "$${pair%%:*}" >/dev/null 2>&1 \
    || { echo "error: '$${pair%%:*}' is still not on PATH after installing $${pair#*:} (needed by $(1))." >&2; exit 1; }; done; \
fi
endef

.PHONY: env data run book book-html test test-fast lab bench clean vendor browser pipeline-output-missing data-file-missing

env: $(STAMP)

# The installer: uv (from PyPI, in a bootstrap environment outside the project) when it can be
# installed, else pip. Both install the same pins; `make env USE_UV=0` forces pip. uv compiles the
# bytecode at install time as pip does, so that imports stay fast where Python may not write it.
$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if [ "$(USE_UV)" != 0 ] && { [ -x $(UV) ] || { echo "env: installing uv $(UV_VERSION) into $(UV_HOME)"; \
	    { $(PYTHON) -m venv $(UV_HOME) && $(UV_HOME)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); } >/dev/null 2>&1; }; }; then \
	  echo "env: installing the pinned packages into $(VENV) with uv"; \
	  $(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.txt && \
	  $(UV) pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps -r requirements-nodeps.txt && \
	  $(UV) pip install --quiet --python $(BIN)/python --no-deps -e .; \
	else \
	  [ "$(USE_UV)" = 0 ] || echo "env: uv could not be installed; installing with pip instead"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .; \
	fi
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" > /dev/null
	touch $(STAMP)

vendor: $(MATHJAX) $(LEAFLET)

# JavaScript the book serves itself (no CDN): MathJax and Leaflet from their npm packages.
$(MATHJAX):
	@$(call debian_need,the vendored MathJax,$(NPM_CMD):npm)
	mkdir -p book/.npm-vendor book/_vendor
	npm install --prefix book/.npm-vendor --no-audit --no-fund --silent mathjax@$(MATHJAX_VERSION)
	rm -rf book/_vendor/mathjax
	cp -r book/.npm-vendor/node_modules/mathjax/es5 book/_vendor/mathjax

$(LEAFLET):
	@$(call debian_need,the vendored Leaflet,$(NPM_CMD):npm)
	mkdir -p book/.npm-vendor book/_vendor
	npm install --prefix book/.npm-vendor --no-audit --no-fund --silent leaflet@$(LEAFLET_VERSION)
	rm -rf book/_vendor/leaflet
	cp -r book/.npm-vendor/node_modules/leaflet/dist book/_vendor/leaflet

# The data are fetched and verified again when data/sources.yml changed or a file it lists is
# missing; `python -m analysis run` also refuses an altered source file and says how to fetch it.
DATA_FILES   = $(sort $(filter-out data/raw/,$(shell grep -o 'data/raw/[^ "]*' data/sources.yml)))
DATA_MISSING = $(filter-out $(wildcard $(DATA_FILES)),$(DATA_FILES))

data: $(DATA_STAMP)

$(DATA_STAMP): data/sources.yml $(STAMP) $(if $(DATA_MISSING),data-file-missing)
	$(BIN)/python -m analysis data fetch
	touch $@

# `python -m analysis run` decides by checksums what to re-execute (about 2 s of checking when
# nothing changed). Make calls it only when a file the pipeline reads is newer than its last run,
# or when an output that notebooks/pipeline.yml declares is missing.
PIPELINE_STAMP   := data/processed/.pipeline-ran
PIPELINE_INPUTS   = $(shell find src/analysis notebooks data/curated interviews -type f \
                      -not -path '*/__pycache__/*' -not -path '*/.ipynb_checkpoints/*' -not -path 'notebooks/_failed/*' \
                      -not -name '.*' 2>/dev/null) \
                    data/sources.yml data/dictionary.yml data/rai_mapping.yml
PIPELINE_OUTPUTS  = $(sort $(shell grep -o '\(data/processed\|book/_vendor\)/[A-Za-z0-9_./-]*' notebooks/pipeline.yml))
PIPELINE_MISSING  = $(filter-out $(wildcard $(PIPELINE_OUTPUTS)),$(PIPELINE_OUTPUTS))

run: $(PIPELINE_STAMP)

$(PIPELINE_STAMP): $(PIPELINE_INPUTS) $(DATA_STAMP) $(if $(PIPELINE_MISSING),pipeline-output-missing)
	$(BIN)/python -m analysis run
	touch $@

# The book is rebuilt only when one of its inputs changed. Make compares modification times; when
# a file is newer but its content is the same (a notebook rewritten identically), the checksums
# recorded in the stamp decide, so that a rerun that changes nothing does not rebuild the book.
BOOK_STAMP  := book/_build/.inputs.sha256
BOOK_INPUTS  = $(sort $(wildcard book/*.md book/_ext/*.py book/_ext/*.css notebooks/*.ipynb book/_vendor/mapas/*)) \
               book/_config.yml book/_toc.yml book/references.bib book/benchmarks.csv book/favicon.png \
               CITATION.cff data/sources.yml data/curated/published_before.csv \
               requirements.txt $(MATHJAX) $(LEAFLET) $(BOOK_DATA)
# Files of data/processed that a page includes (e.g. {csv-table} :file: ../data/processed/x.csv).
BOOK_DATA    = $(sort $(wildcard $(shell grep -ho 'data/processed/[A-Za-z0-9_/.-]*[.][A-Za-z0-9]*' book/*.md)))

book-html: env vendor $(BOOK_STAMP)

$(BOOK_STAMP): $(BOOK_INPUTS)
	@sum=$$(sha256sum $(BOOK_INPUTS) | sha256sum | cut -d' ' -f1); \
	if [ -f $@ ] && [ "$$(cat $@)" = "$$sum" ] && [ -f book/_build/html/index.html ]; then \
	  echo "book: inputs unchanged (same checksums), not rebuilt"; touch $@; \
	else \
	  rm -f $@ && \
	  $(BIN)/jupyter-book build . --config book/_config.yml --toc book/_toc.yml --path-output book $(BOOK_FLAGS) && \
	  echo "$$sum" > $@.tmp && mv $@.tmp $@; \
	fi

book: run
	$(MAKE) book-html

# Debian's headless browser and its driver, for the browser test of the built book.
browser:
	@$(call debian_need,the browser test,$(CHROMIUM_CMD):chromium $(CHROMEDRIVER_CMD):chromium-driver)

test: run browser
	$(MAKE) book-html
	$(BIN)/python -m pytest $(NBVAL) tests notebooks

test-fast: data
	$(BIN)/python -m pytest -m "$(FAST)" tests

bench: data
	$(BIN)/python -m analysis bench

lab: env
	$(BIN)/jupyter lab $(LAB_FLAGS) --notebook-dir=. notebooks/00_datos.ipynb

clean:
	rm -rf book/_build data/processed/* notebooks/_failed $(DATA_STAMP) $(PIPELINE_STAMP)
	touch data/processed/.gitkeep
