"""The dock's 打印本村预案 / 处置卡 (#18): the village's plan (with its sheet's map) and cards, printed in the
background beside 打印本村一张图."""
from __future__ import annotations

from qgis.core import Qgis

from risk_one_map.ui.tasks import wait

from .test_ui import plugin  # noqa: F401 (fixture: the plugin, loaded and unloaded)
from tests.pure.test_village_plan import evacuated_sample  # noqa: F401 (fixture)

from .test_village_plan_doors import _busiest_village


def test_dock_prints_the_village_plan_and_cards(plugin, iface, evacuated_sample):
    dock = plugin.dock
    dock.set_package(evacuated_sample)
    code = _busiest_village(evacuated_sample)
    assert dock.select_village(code)
    buttons = dock.plan_buttons
    assert buttons.plan_button.text() == "打印本村预案" and buttons.plan_button.isEnabled()
    task = buttons.print_plan()
    assert not buttons.plan_button.isEnabled() and not dock.print_village_button.isEnabled()  # one at a time
    assert wait(task, 240) and task.exception is None, task.trace
    pdf = next((evacuated_sample / "atlas").rglob(f"{code}_*_应急预案.pdf"))
    _title, text, level = iface.messages[-1]
    assert level == Qgis.Success and pdf.name in text
    task = buttons.print_cards()
    assert wait(task, 120) and task.exception is None, task.trace
    assert next((evacuated_sample / "atlas").rglob(f"{code}_*_应急处置卡.pdf")).is_file()
    assert not list((evacuated_sample / "atlas").rglob(".plan-map-*"))  # the map's picture does not stay behind
