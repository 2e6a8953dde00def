# Two commands on a fresh Debian 12/13 machine: `make demo` and `make test`. Each runs the set-up itself.
VENV ?= .venv
PY := $(VENV)/bin/python
export QT_QPA_PLATFORM ?= offscreen

.PHONY: setup demo test test-pure test-qgis package clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) -m risk_one_map demo --out demo-output

test: setup
	$(PY) -m pytest -q tests

test-pure: setup
	$(PY) -m pytest -q tests/pure

test-qgis: setup
	$(PY) -m pytest -q tests/qgis

package: setup
	$(PY) scripts/package_plugin.py

clean:
	rm -rf demo-output dist build *.egg-info
