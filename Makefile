# Two commands do everything: `make reports` and `make test`. Both create the virtual
# environment in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MPD_DIR ?=
DATASETS ?= seed-track random
OVERWRITE ?=
# Extra pipeline arguments, e.g. PIPELINE_ARGS="-p EPOCHS 100".
PIPELINE_ARGS ?=

.PHONY: install reports test bench clean-reports

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

reports: install
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/python -m nncf_helpers.pipeline \
		$(if $(MPD_DIR),--mpd-dir "$(MPD_DIR)") --datasets $(DATASETS) \
		$(if $(OVERWRITE),--overwrite) $(PIPELINE_ARGS)

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run_benchmarks.py $(BENCH_ARGS)

clean-reports:
	rm -rf reports/index.html reports/seed-track reports/random build
