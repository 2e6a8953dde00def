# Two commands on a fresh Debian 12/13 machine: `make demo` and `make test`. Each runs the set-up itself.
VENV ?= .venv
PY := $(VENV)/bin/python
export QT_QPA_PLATFORM ?= offscreen

.PHONY: setup demo test test-pure test-qgis package wheelhouse clean

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

# The offline folder for 安装所需组件 on intranet PCs (Windows QGIS 3.34+ and Debian 12/13); needs internet here.
# Another set: make wheelhouse WHEELHOUSE_ARGS="--target win-py312 --optional"
wheelhouse: setup
	$(PY) scripts/build_wheelhouse.py --out wheelhouse $(WHEELHOUSE_ARGS)

clean:
	rm -rf demo-output dist build wheelhouse *.egg-info
