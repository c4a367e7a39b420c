# Two commands for a newcomer: `make run` and `make test`. Both create .venv and install requirements when missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run test bench score clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m bot serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	for f in bench/bench_*.py; do $(PY) $$f || exit 1; done

score: $(VENV)/.installed
	$(PYTHON) ../shared/eval/score.py --show-misses

clean:
	rm -rf $(VENV) data .pytest_cache
