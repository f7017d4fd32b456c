# Every target sets itself up: .venv is made and the project installed on first use only,
# with only the extras that target needs (a first `make crawl` installs no test tools).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# One stamp per extra: plot (charts), cluster (the dask model), dev (tests and linters).
EXTRA = $(VENV)/.installed-$(1)
# setuptools explains editable installs in a box of warnings on every install: keep the
# first screen a newcomer sees for what matters.
PIP := PYTHONWARNINGS=ignore::Warning

VENV_FT := .venv-ft
FT_STAMP := $(VENV_FT)/.installed
ARGS ?=

.PHONY: setup freethreaded crawl serve compare claims report bench bench-load browser test lint clean

# Everything: the project with every extra.
setup: $(STAMP) $(call EXTRA,plot) $(call EXTRA,cluster) $(call EXTRA,dev)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(PIP) $(BIN)/python -m pip install --quiet -e '.[brotli]'
	touch $(STAMP)

$(VENV)/.installed-%: $(STAMP)
	$(PIP) $(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

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

compare: $(STAMP) $(call EXTRA,plot) $(call EXTRA,cluster)
	$(BIN)/python pipeline.py compare $(ARGS)

# Each rule of thumb of claims/catalogue.py tested on this machine, one verdict each
# (8.5 minutes on 2 cores with .venv-ft, which tests the GIL's claims without it too).
claims: $(STAMP) $(call EXTRA,plot)
	$(BIN)/python pipeline.py claims $(ARGS)

# The newest run's report.html (a crawl's or a compare's): its path, opened if there is a display.
report: $(STAMP)
	$(BIN)/python -m report output

# Each stage against its limit, as side-by-side ratios: a few minutes (ARGS=live: one group).
bench: $(STAMP) $(call EXTRA,bench) $(call EXTRA,plot)
	$(BIN)/python -m bench.run $(ARGS)

# Memory as the site grows (5,000 vs 50,000 pages): a few minutes.
bench-load: $(STAMP)
	$(BIN)/python bench/load.py

# The browser tests drive Debian's chromium where it is or apt can install it (as root);
# elsewhere Playwright's own browser if `playwright install chromium` fetched it, else they
# skip and say so (in CI they fail instead). Never a reason for `make test` to stop.
browser:
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get update && apt-get install -y chromium; } || \
		echo "no /usr/bin/chromium: the browser tests use Playwright's browser if installed"

# Two test processes (pytest-xdist): most tests wait on sockets, pools and child processes,
# so two at a time keep two cores busy.
test: $(STAMP) $(call EXTRA,dev) $(call EXTRA,plot) $(call EXTRA,cluster) browser
	$(BIN)/python -m pytest -n 2 $(ARGS)

lint: $(STAMP) $(call EXTRA,dev)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(VENV_FT) output .cache .pytest_cache .ruff_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
