#!/usr/bin/env bash
# The plugin as users install it, driven by qgis_process: build the zip, unpack it into a fresh temporary profile,
# then `qgis_process list` must show the riskonemap provider and `run riskonemap:sampledata`, `checkpackage` and
# `exposure` must succeed. Exits non-zero on any failure. The venv's wheels are used as they are (no pyproj shim):
# the plugin loads them with RTLD_DEEPBIND (risk_one_map/deps.py), which is what this run proves.
#   scripts/qgis_process_smoke.sh [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
WORK="${1:-$(mktemp -d "${TMPDIR:-/tmp}/risk-one-map-smoke.XXXXXX")}"
mkdir -p "$WORK"
export QT_QPA_PLATFORM=offscreen

"$PY" "$ROOT/scripts/package_plugin.py" --out "$WORK/dist" >/dev/null
CONFIG="$WORK/config"
PROFILE="$CONFIG/profiles/default"
mkdir -p "$PROFILE/python/plugins" "$PROFILE/QGIS"
"$PY" -c "import zipfile, sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$WORK"/dist/*.zip \
  "$PROFILE/python/plugins"
printf '[PythonPlugins]\nrisk_one_map=true\n' > "$PROFILE/QGIS/QGIS3.ini"
export QGIS_CUSTOM_CONFIG_PATH="$CONFIG"
VENV_SITE="$("$PY" -c 'import site; print(site.getsitepackages()[0])')"
export PYTHONPATH="$VENV_SITE"   # the analysis packages; the plugin itself comes from the profile

QP="$(command -v qgis_process.bin || command -v qgis_process)"
if [ -x /usr/lib/grass82/lib ] || [ -d /usr/lib/grass82/lib ]; then
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/lib/grass82/lib"
fi
fail() { echo "SMOKE FAILED: $*" >&2; exit 1; }

"$QP" list > "$WORK/list.txt" 2>"$WORK/list.err" || fail "qgis_process list (see $WORK/list.err)"
for alg in sampledata checkpackage exposure evacuation sitedepots villageatlas importdata; do
  grep -q "riskonemap:$alg" "$WORK/list.txt" || fail "riskonemap:$alg not listed"
done
echo "list: $(grep -c 'riskonemap:' "$WORK/list.txt") riskonemap algorithms"

PKG="$WORK/county"
"$QP" run riskonemap:sampledata -- VILLAGES=8 SEED=3 OPEN=false OUTPUT="$PKG" > "$WORK/sample.txt" 2>&1 \
  || { tail -20 "$WORK/sample.txt" >&2; fail "run riskonemap:sampledata"; }
[ -f "$PKG/onemap.gpkg" ] || fail "sampledata wrote no onemap.gpkg"
echo "sampledata: $PKG"
"$QP" run riskonemap:checkpackage -- PACKAGE="$PKG" > "$WORK/check.txt" 2>&1 \
  || { tail -20 "$WORK/check.txt" >&2; fail "run riskonemap:checkpackage"; }
grep -q "VALID:.*true" "$WORK/check.txt" || { tail -20 "$WORK/check.txt" >&2; fail "checkpackage: not valid"; }
echo "checkpackage: valid"
"$QP" run riskonemap:exposure -- PACKAGE="$PKG" MODE=0 SOURCE=0 CHARTS=false > "$WORK/exposure.txt" 2>&1 \
  || { tail -20 "$WORK/exposure.txt" >&2; fail "run riskonemap:exposure"; }
[ -f "$PKG/exposure.csv" ] || fail "exposure wrote no exposure.csv"
echo "exposure: $PKG/exposure.csv"
echo "SMOKE OK"
