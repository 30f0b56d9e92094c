# Two commands a new user needs: `make run` and `make test`. Each sets everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run single test test-fast setup bench lint format clean app

setup: $(STAMP)

# Re-installs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required (found %s)" % sys.version.split()[0]'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The main job: every scenario against baseline_2019 over paired seeds, with the effect table,
# report.md/html and figures written into results/sweeps/compare_scenarios_<time>/.
run: $(STAMP)
	$(PY) -m sim -m experiment=compare_scenarios

# One simulation of the default world (10,000 children, one year) into results/runs/.
single: $(STAMP)
	$(PY) -m sim

# The interactive page (Mesa SolaraViz) on http://localhost:$(APP_PORT): a small world to watch,
# interventions side by side (docs/app.md). The dev install above includes the app extra.
APP_PORT ?= 8765
app: $(STAMP)
	MPLBACKEND=Agg $(PY) -m solara run sim.app --host localhost --port $(APP_PORT) --production --no-open

# Tests run in TEST_JOBS processes (pytest-xdist), each test file in one of them so its shared
# fixtures are built once; TEST_JOBS=1 runs them in this process. 2 suits the 2-core CI machine
# (on the development machine, 2 cores: 7 minutes instead of 9); more cores take more, ~0.5 GB each.
TEST_JOBS ?= 2
test: $(STAMP)
	$(PY) -m pytest -q $(if $(filter 1,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist loadfile)

# The tests that need no subprocess, sweep or random world (under a minute): for a quick check.
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

# What CI checks besides the tests: ruff's rules and its formatting.
lint: $(STAMP)
	$(PY) -m ruff check sim tests experiments hydra_plugins
	$(PY) -m ruff format --check sim tests experiments hydra_plugins

format: $(STAMP)
	$(PY) -m ruff format sim tests experiments hydra_plugins
	$(PY) -m ruff check --fix sim tests experiments hydra_plugins

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# The benchmark suite (~13 min; BENCH_ARGS=--quick for ~4 min): results/benchmarks/.
bench: $(STAMP)
	$(PY) experiments/benchmarks/run_all.py $(BENCH_ARGS)
