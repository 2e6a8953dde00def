#!/usr/bin/env bash
# Screenshot of real QGIS Desktop (under Xvfb) with the plugin installed from its zip into a fresh profile and a
# package's project open: what a county analyst sees. PNGs are for looking at, not for committing.
#   scripts/screenshot_qgis.sh [PACKAGE_DIR] [OUT.png]   (defaults: a sample county and the PNG in a temp folder)
# Set MODE=open to start from an empty project and load the package with the plugin's "打开一张图包…" instead.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/risk-one-map-shot.XXXXXX")"
PKG="${1:-$WORK/county}"
OUT="$(realpath -m "${2:-$WORK/screenshot.png}")"
MODE="${MODE:-project}"

if [ ! -f "$PKG/onemap.gpkg" ]; then
  QT_QPA_PLATFORM=offscreen "$PY" -m risk_one_map sample-data --out "$PKG" --villages 24 --seed 7 >/dev/null
fi
[ -f "$PKG/onemap.qgz" ] || QT_QPA_PLATFORM=offscreen "$PY" -m risk_one_map project "$PKG" >/dev/null

# The plugin as users get it: the zip, unpacked into a fresh profile, enabled.
"$PY" "$ROOT/scripts/package_plugin.py" --out "$WORK/dist" >/dev/null
PROFILE="$WORK/profiles/default"
mkdir -p "$PROFILE/python/plugins" "$PROFILE/QGIS"
"$PY" -c "import zipfile, sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$WORK"/dist/*.zip \
  "$PROFILE/python/plugins"
cat > "$PROFILE/QGIS/QGIS3.ini" <<INI
[PythonPlugins]
risk_one_map=true
[qgis]
showTips322=false
checkVersion=false
INI

# The venv's packages for the plugin's analyses, with Debian's pyproj ahead of the PyPI wheel (which crashes inside
# a QGIS executable: see scripts/qgis_process.sh).
SHIM="$WORK/pyshim"; mkdir -p "$SHIM"
SYS_PYPROJ="$(/usr/bin/python3 -c 'import os, pyproj; print(os.path.dirname(pyproj.__file__))' 2>/dev/null || true)"
[ -n "$SYS_PYPROJ" ] && ln -sfn "$SYS_PYPROJ" "$SHIM/pyproj"
VENV_SITE="$("$PY" -c 'import site; print(site.getsitepackages()[0])')"
export PYTHONPATH="$SHIM:$VENV_SITE"

cat > "$WORK/shot.py" <<PYCODE
import traceback
from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface, plugins

def grab():
    try:
        iface.mainWindow().grab().save("$OUT", "PNG")
        print("screenshot:", "$OUT", "plugins:", sorted(plugins), flush=True)
    except Exception:
        traceback.print_exc()
    QgsApplication.exit(0)

def start():
    try:
        iface.mainWindow().showMaximized()
        if "$MODE" == "open":
            plugins["risk_one_map"].open_package(path="$PKG")
        iface.mapCanvas().refreshAllLayers()
    except Exception:
        traceback.print_exc()
    QTimer.singleShot(9000, grab)

QTimer.singleShot(3000, start)
PYCODE

ARGS=(--profiles-path "$WORK" --nologo --code "$WORK/shot.py")
[ "$MODE" = "open" ] || ARGS+=(--project "$PKG/onemap.qgz")
timeout 180 xvfb-run -a -s "-screen 0 1600x1000x24" /usr/bin/qgis.bin "${ARGS[@]}" 2>"$WORK/qgis.log" || true
grep -iE "traceback|error" "$WORK/qgis.log" | grep -v XDG | head -20 || true
[ -f "$OUT" ] && echo "$OUT" || { echo "no screenshot; log: $WORK/qgis.log" >&2; exit 1; }
