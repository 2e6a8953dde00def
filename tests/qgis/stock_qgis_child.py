"""Run by test_installer.py with the system's /usr/bin/python3: QGIS's own Python with only Debian's packages (no
pandas, shapely 2, geopandas, pyogrio, rasterio). Loads the plugin, looks at what is greyed, installs from a local
wheel folder with the dialog, then uses the features. Prints one JSON line of what it saw.

    python3 stock_qgis_child.py REPO SETTINGS_DIR WHEELS PACKAGE COUNTY SHOTS_DIR

PACKAGE is checked before and after; COUNTY (a copy of the sample county) gets its exposure computed after.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

repo, settings_dir, wheels, package, county, shots = sys.argv[1:7]
sys.path.insert(0, repo)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from risk_one_map.qgis_glue.app import ensure_app  # noqa: E402

app = ensure_app(settings_dir=settings_dir)
from qgis.core import QgsApplication, QgsProcessingException, QgsSettings  # noqa: E402

QgsSettings().setValue("locale/userLocale", "zh_CN")  # a county office's QGIS
from qgis.PyQt.QtCore import QCoreApplication  # noqa: E402

sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
from processing.core.Processing import Processing  # noqa: E402

Processing.initialize()
import processing  # noqa: E402

import risk_one_map  # noqa: E402
from risk_one_map.plugin import MENU  # noqa: E402
from tests.qgis.stub_iface import StubIface  # noqa: E402

import importlib.util  # noqa: E402

seen = {"stock_missing": [m for m in ("pandas", "shapely", "geopandas", "pyogrio", "rasterio")
                          if importlib.util.find_spec(m) is None]}
iface = StubIface()
plugin = risk_one_map.classFactory(iface)
plugin.initGui()


def actions():
    return {a.text(): (a.isEnabled(), a.toolTip()) for a in iface.menus[MENU]}


def check_package():
    try:
        out = processing.run("riskonemap:checkpackage", {"PACKAGE": package})
        return {"ok": True, "valid": out["VALID"], "errors": out["ERRORS"]}
    except QgsProcessingException as exc:
        return {"ok": False, "message": str(exc)}


seen["before"] = {"actions": actions(), "banner": [m[1] for m in iface.messages],
                  "dock_print": plugin.dock.print_village_button.isEnabled(),
                  "dock_note": plugin.dock.deps_note.text(),
                  "can_execute": list(QgsApplication.processingRegistry().algorithmById(
                      "riskonemap:exposure").canExecute()),
                  "check": check_package()}
shots = Path(shots)
shots.mkdir(parents=True, exist_ok=True)
menu = iface.plugin_menu(MENU)
menu.adjustSize()
menu.grab().save(str(shots / "greyed_menu.png"))
plugin.dock.resize(420, 640)
plugin.dock.show()
QCoreApplication.processEvents()
plugin.dock.grab().save(str(shots / "greyed_dock.png"))
if iface.bar.widgets:
    banner = iface.bar.widgets[-1]
    banner.resize(1100, 60)
    banner.grab().save(str(shots / "banner.png"))

dialog = plugin.open_installer()
if wheels == "ONLINE":  # by hand: the same flow from pip's index (needs the internet)
    dialog.online.setChecked(True)
else:
    dialog.wheels_edit.setText(wheels)
    dialog.offline.setChecked(True)
QCoreApplication.processEvents()
dialog.grab().save(str(shots / "installer_before.png"))
done = []
dialog.installFinished.connect(done.append)
t0 = time.monotonic()
started = dialog.start()
while started and not done and time.monotonic() - t0 < 300:
    QCoreApplication.processEvents()
    time.sleep(0.02)
QCoreApplication.processEvents()
dialog.grab().save(str(shots / "installer_after.png"))
seen["install"] = {"started": started, "ok": done[:1], "result": dialog.result, "status": dialog.status.text(),
                   "seconds": round(time.monotonic() - t0, 1), "log_tail": dialog.log.toPlainText()[-1500:]}
import pandas  # noqa: E402
import shapely  # noqa: E402
seen["after"] = {"actions": actions(), "dock_print": plugin.dock.print_village_button.isEnabled(),
                 "dock_note": plugin.dock.deps_note.text(),
                 "can_execute": list(QgsApplication.processingRegistry().algorithmById(
                     "riskonemap:exposure").canExecute()),
                 "pandas": pandas.__file__, "shapely": shapely.__version__,
                 "numpy": __import__("numpy").__file__, "pyproj": __import__("pyproj").__file__,
                 "check": check_package(),
                 "exposure": processing.run("riskonemap:exposure", {"PACKAGE": county, "MODE": 0, "SOURCE": 0,
                                                                    "CHARTS": False})["OUTPUT_CSV"]}
plugin.unload()
print("RESULT " + json.dumps(seen, ensure_ascii=False))
