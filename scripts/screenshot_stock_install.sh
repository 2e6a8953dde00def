#!/usr/bin/env bash
# Real QGIS Desktop (Xvfb) with ONLY the system's Python packages (no venv, no PYTHONPATH): the plugin from its zip
# in a fresh profile, greyed until 安装所需组件 installs from a local wheel folder. Screenshots to look at:
#   scripts/screenshot_stock_install.sh WHEEL_FOLDER OUT_DIR [COUNTY]   (WHEEL_FOLDER: e.g. from make wheelhouse)
# OUT_DIR gets 1_banner_greyed.png (window + open plugin menu), 2_installer_done.png, 3_after.png and result.txt;
# with a package folder COUNTY (a copy: it is written to), also its exposure and one village sheet printed from the
# dock after the install (4_printed.png), in the same QGIS session. (QGIS Desktop needs a real X display: under
# QT_QPA_PLATFORM=offscreen, which make exports, it crashes building its clipboard.)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WHEELS="$(realpath "$1")"; OUT="$(realpath -m "$2")"; COUNTY="$(realpath -m "${3:-}")"; mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/risk-one-map-stock.XXXXXX")"
"$ROOT/.venv/bin/python" "$ROOT/scripts/package_plugin.py" --out "$WORK/dist" >/dev/null
PROFILE="$WORK/profiles/default"
mkdir -p "$PROFILE/python/plugins" "$PROFILE/QGIS"
/usr/bin/python3 -c "import zipfile, sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$WORK"/dist/*.zip \
  "$PROFILE/python/plugins"
printf '[PythonPlugins]\nrisk_one_map=true\n[qgis]\nshowTips322=false\ncheckVersion=false\n[locale]\nuserLocale=zh_CN\noverrideFlag=true\n' \
  > "$PROFILE/QGIS/QGIS3.ini"
cat > "$WORK/drive.py" <<PYCODE
import time, traceback
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QTimer, QPoint
from qgis.PyQt.QtGui import QGuiApplication
from qgis.utils import iface, plugins

def screen(name):
    QGuiApplication.primaryScreen().grabWindow(0).save("$OUT/" + name, "PNG")

def step1():
    try:
        iface.mainWindow().setGeometry(QGuiApplication.primaryScreen().availableGeometry())  # no window manager
        plugin = plugins["risk_one_map"]
        menu = next(a.menu() for a in iface.pluginMenu().actions() if a.text() == "风险隐患一张图")
        menu.popup(iface.mainWindow().mapToGlobal(QPoint(20, 330)))  # below the message bar
        with open("$OUT/result.txt", "w") as f:
            f.write("before: " + repr({a.text(): a.isEnabled() for a in menu.actions()}) + "\n")
        QTimer.singleShot(1500, lambda: (screen("1_banner_greyed.png"), menu.hide(), step2(plugin)))
    except Exception:
        traceback.print_exc(); QgsApplication.exit(1)

def step2(plugin):
    dialog = plugin.open_installer()
    dialog.wheels_edit.setText("$WHEELS"); dialog.offline.setChecked(True)
    dialog.optional.setChecked("${OPTIONAL:-}" == "1")  # OPTIONAL=1: OR-Tools and openpyxl too
    dialog.installFinished.connect(lambda ok: QTimer.singleShot(800, lambda: step3(plugin, dialog, ok)))
    dialog.start()

def step3(plugin, dialog, ok):
    screen("2_installer_done.png")
    dialog.close()
    menu = next(a.menu() for a in iface.pluginMenu().actions() if a.text() == "风险隐患一张图")
    menu.popup(iface.mainWindow().mapToGlobal(QPoint(20, 330)))  # below the message bar
    with open("$OUT/result.txt", "a") as f:
        f.write(f"install ok: {ok} {dialog.result}\nstatus: {dialog.status.text()}\n")
        f.write("after: " + repr({a.text(): a.isEnabled() for a in menu.actions()}) + "\n")
    QTimer.singleShot(1500, lambda: (screen("3_after.png"), menu.hide(), step4(plugin)))

def step4(plugin):
    if not "${3:-}":
        QgsApplication.exit(0); return
    try:
        import processing
        from risk_one_map.ui.tasks import wait
        out = processing.run("riskonemap:exposure", {"PACKAGE": "$COUNTY", "MODE": 0, "SOURCE": 0, "CHARTS": False})
        if "${OPTIONAL:-}" == "1":  # the evacuation with OR-Tools from the plugin's folder, inside QGIS
            import ortools
            evac = processing.run("riskonemap:evacuation", {"PACKAGE": "$COUNTY"})
            with open("$OUT/result.txt", "a") as f:
                f.write(f"ortools: {ortools.__file__}\nevacuation: {sorted(evac)}\n")
        plugin.open_package(path="$COUNTY")
        dock = plugin.dock
        dock.set_package("$COUNTY")
        dock.select_village(dock.villages[0]["code"])
        task = dock.print_village()
        done = wait(task, 240)
        with open("$OUT/result.txt", "a") as f:
            f.write(f"exposure: {out['OUTPUT_CSV']}\nprinted: {done} {task.exception!r} {dock.info.text()}\n")
    except Exception:
        with open("$OUT/result.txt", "a") as f:
            f.write(traceback.format_exc())
    QTimer.singleShot(3000, lambda: (screen("4_printed.png"), QgsApplication.exit(0)))

QTimer.singleShot(4000, step1)
PYCODE
env -u PYTHONPATH -u VIRTUAL_ENV -u QT_QPA_PLATFORM timeout 300 xvfb-run -a -s "-screen 0 1400x900x24" /usr/bin/qgis.bin \
  --profiles-path "$WORK" --nologo --code "$WORK/drive.py" 2>"$WORK/qgis.log" || true
grep -iE "traceback|error" "$WORK/qgis.log" | grep -v XDG | head -20 || true
cat "$OUT/result.txt"
