# Every target sets itself up: .venv is made and the project installed on first use only.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# setuptools explains editable installs in a box of warnings on every install: keep the
# first screen a newcomer sees for what matters.
PIP := PYTHONWARNINGS=ignore::Warning

VENV_FT := .venv-ft
FT_STAMP := $(VENV_FT)/.installed
ARGS ?=

.PHONY: setup freethreaded crawl serve compare claims report bench bench-load browser test lint clean

setup: $(STAMP)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(PIP) $(BIN)/python -m pip install --quiet -e '.[dev,plot,cluster,brotli]'
	touch $(STAMP)

# A free-threaded CPython (no GIL): fetched with uv where it can download interpreters, else
# built from Debian's source package of python3.13 (about 3 minutes, once per machine: it is
# cached in ~/.cache/concurrency-demo); then .venv-ft with the project in it.
freethreaded: $(FT_STAMP)

$(FT_STAMP): pyproject.toml interpreters/freethreaded.sh
	@python_ft=$$(bash interpreters/freethreaded.sh) && rm -rf $(VENV_FT) && \
		echo "making $(VENV_FT) with $$python_ft" && $$python_ft -m venv $(VENV_FT)
	$(VENV_FT)/bin/python -m pip install --quiet --upgrade pip
	$(PIP) $(VENV_FT)/bin/python -m pip install --quiet --prefer-binary -e .
	$(VENV_FT)/bin/python -c 'import sys; assert not sys._is_gil_enabled(), "the GIL is on"'
	touch $(FT_STAMP)

crawl: $(STAMP)
	$(BIN)/python pipeline.py crawl $(ARGS)

serve: $(STAMP)
	$(BIN)/python pipeline.py serve $(ARGS)

compare: $(STAMP)
	$(BIN)/python pipeline.py compare $(ARGS)

# Each rule of thumb of shared/CLAIMS.md tested here: ten verdicts (about 2 minutes).
claims: $(STAMP)
	$(BIN)/python pipeline.py claims $(ARGS)

# The newest run's report.html (a crawl's or a compare's): its path, opened if there is a display.
report: $(STAMP)
	$(BIN)/python -m report output

# Each stage against its limit, as side-by-side ratios: a few minutes.
bench: $(STAMP)
	$(PIP) $(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run

# Memory as the site grows (5,000 vs 50,000 pages): a few minutes.
bench-load: $(STAMP)
	$(BIN)/python bench/load.py

# The browser test drives Debian's chromium (Playwright's own browser download is not needed).
browser:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

test: $(STAMP) browser
	$(BIN)/python -m pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(VENV_FT) output .cache .pytest_cache .ruff_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
