#!/usr/bin/env bash
# qgis_process with this checkout's plugin available, headless. Usage: scripts/qgis_process.sh run riskonemap:checkpackage -- PACKAGE=demo-output/package
# Debian 12's /usr/bin/qgis_process wrapper passes --noversioncheck (from /etc/default/qgis QGIS_OPTS), which
# qgis_process rejects ("Command --noversioncheck not known!"); then we call qgis_process.bin directly, as the
# wrapper would (same LD_LIBRARY_PATH for GRASS). Where the wrapper works it is used as is.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
# The plugin from this checkout, enabled in a profile of its own (the user's QGIS profile is left alone):
# a plugin folder of symlinks (the package + the top-level metadata.txt) and a QGIS3.ini that enables it.
STAGE="${TMPDIR:-/tmp}/risk-one-map-qgis-process-$(id -u)"
mkdir -p "$STAGE/plugins/risk_one_map" "$STAGE/config/profiles/default/QGIS"
for entry in "$ROOT"/risk_one_map/* "$ROOT/metadata.txt"; do
  ln -sfn "$entry" "$STAGE/plugins/risk_one_map/$(basename "$entry")"
done
INI="$STAGE/config/profiles/default/QGIS/QGIS3.ini"
grep -q '^risk_one_map=true' "$INI" 2>/dev/null || printf '[PythonPlugins]\nrisk_one_map=true\n' >> "$INI"
export QGIS_PLUGINPATH="$STAGE/plugins${QGIS_PLUGINPATH:+:$QGIS_PLUGINPATH}"
export QGIS_CUSTOM_CONFIG_PATH="${QGIS_CUSTOM_CONFIG_PATH:-$STAGE/config}"
# The venv's packages (geopandas, shapely 2, pyogrio, rasterio...) for the algorithms, with one exception: inside a
# QGIS executable, QGIS's own libproj is loaded globally, and the PyPI pyproj wheel's bundled libproj then crashes
# at import (std::bad_alloc in its static initialisers). Debian's python3-pyproj links the same libproj as QGIS,
# so a shim folder puts it ahead of the venv's copy.
if [ -x "$ROOT/.venv/bin/python" ]; then
  VENV_SITE="$("$ROOT/.venv/bin/python" -c 'import site; print(site.getsitepackages()[0])')"
  SHIM="$STAGE/pyshim"
  mkdir -p "$SHIM"
  SYS_PYPROJ="$(/usr/bin/python3 -c 'import os, pyproj; print(os.path.dirname(pyproj.__file__))' 2>/dev/null || true)"
  if [ -n "$SYS_PYPROJ" ]; then ln -sfn "$SYS_PYPROJ" "$SHIM/pyproj"; else rm -f "$SHIM/pyproj"; fi
  export PYTHONPATH="$SHIM:$ROOT:$VENV_SITE${PYTHONPATH:+:$PYTHONPATH}"
fi

pick() {
  local wrapper bin
  wrapper="$(command -v qgis_process || true)"
  bin="$(command -v qgis_process.bin || true)"
  if [ -n "$wrapper" ] && "$wrapper" --version >/dev/null 2>&1; then echo "$wrapper"; return; fi
  if [ -n "$bin" ]; then
    if dpkg -s qgis-plugin-grass >/dev/null 2>&1; then
      export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/lib/grass82/lib"
    fi
    echo "$bin"; return
  fi
  [ -n "$wrapper" ] && { echo "$wrapper"; return; }
  echo "qgis_process not found: install QGIS (Debian: sudo apt install qgis)" >&2
  exit 127
}
QP="$(pick)"
exec "$QP" "$@"
