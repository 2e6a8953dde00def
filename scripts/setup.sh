#!/usr/bin/env bash
# One-time, idempotent set-up for a fresh Debian 12 (QGIS 3.22, Python 3.11) or Debian 13 (Python 3.13) machine:
#   1. Debian packages: QGIS (python3-qgis, qgis-providers, qgis for qgis_process), CJK fonts, Xvfb, poppler-utils;
#   2. a venv from /usr/bin/python3 with --system-site-packages, so PyQGIS and our PyPI pins share one interpreter;
#   3. our pins (requirements.txt), with numpy held at the system's version: Debian's GDAL and QGIS bindings are built
#      against it, and a numpy of another major version breaks them.
# A second run checks stamps and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT_PACKAGES="python3-qgis qgis-providers qgis python3-venv python3-pip python3-gdal python3-matplotlib fonts-noto-cjk xvfb xauth poppler-utils"
missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV from /usr/bin/python3 with --system-site-packages"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi

# numpy: exactly the system's version (Debian 12: 1.24.x, Debian 13: 2.2.x).
SYS_NUMPY=$(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')
stamp="$VENV/.risk-one-map-stamp"
want="$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16) numpy=$SYS_NUMPY py=$(/usr/bin/python3 -V)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python packages (numpy held at the system's $SYS_NUMPY)"
  echo "numpy==$SYS_NUMPY" > "$VENV/constraints.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt -c "$VENV/constraints.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null \
    || "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
  "$VENV/bin/python" -c "import numpy, qgis.core, shapely, geopandas, rasterio; assert numpy.__version__ == '$SYS_NUMPY'"
  echo "$want" > "$stamp"
fi
