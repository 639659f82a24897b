# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
DEMO_OUT ?= demo_out
# Byte-code for the editable install, as a wheel install writes it: where PYTHONDONTWRITEBYTECODE is
# set (this project's build machines), every process would otherwise compile myomri's sources
# again, ~0.07 s of each command's start-up and of each worker's.
COMPILE = $(PY) -m compileall -q src/myomri

.PHONY: install browser demo test test-fast lint bench clean

$(VENV)/.installed: pyproject.toml constraints.txt setup.py $(wildcard src/myomri/features/_c*.[ch])
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e ".[test]"
	$(COMPILE)
	touch $@

install: $(VENV)/.installed

# Headless Chromium for the report test (Debian packages; needs root and apt). Without it
# that one test is skipped and says why.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
	  echo "chromium present"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
	  echo "chromium not installed and apt-get unavailable: the HTML report browser test will be skipped"; \
	fi

demo: install
	$(VENV)/bin/myomri demo -o $(DEMO_OUT)

test: install browser
	$(PY) -m pytest -q

# The quick lane: everything but the tests marked slow (a few minutes on 2 cores).
test-fast: install
	$(PY) -m pytest -q -m "not slow"

# Lint and type checks on src/. FORMAT_CHECK=1 adds `ruff format --check src`; it is off until the
# code base has been formatted once with `ruff format src` (then make 1 the default here).
FORMAT_CHECK ?= 1
lint: install
	$(VENV)/bin/ruff check src
	@if [ "$(FORMAT_CHECK)" = 1 ]; then echo "$(VENV)/bin/ruff format --check src"; $(VENV)/bin/ruff format --check src; \
	else echo "ruff format --check src: skipped (FORMAT_CHECK=0)"; fi
	$(VENV)/bin/mypy src

# The peer of the feature benchmarks, in its own environment (PyRadiomics 3.0.1 needs numpy at build
# time; scikit-image for its LBP filter). Never a dependency of myomri.
PYRAD_VENV ?= .venv-pyradiomics
$(PYRAD_VENV)/.installed:
	$(PYTHON) -m venv $(PYRAD_VENV)
	$(PYRAD_VENV)/bin/pip install -q numpy versioneer scikit-image wheel setuptools
	$(PYRAD_VENV)/bin/pip install -q --no-build-isolation "pyradiomics==3.0.1"
	touch $@

# Every row of the speed table (features vs PyRadiomics, T2, study vs scikit-learn + mlxtend, demo),
# peers timed in the same run; ~13 minutes on 2 cores with .venv-pyradiomics built (measured 2026-12-07), ~20 with its build.
bench: install $(PYRAD_VENV)/.installed
	$(PIP) install -q -c constraints.txt -e ".[test,bench]"
	$(COMPILE)
	PYRADIOMICS_CLI=$(PYRAD_VENV)/bin/pyradiomics $(PY) benchmarks/bench_all.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
