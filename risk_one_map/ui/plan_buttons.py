"""The dock's 打印本村预案 / 处置卡 buttons, beside 打印本村一张图: the village's emergency plan (with its sheet's map)
and its role cards, printed in the background by the same functions as the CLI and Processing
(``atlas.plan_map.print_plans`` / ``print_cards``), into the folder the village sheets go to."""
from __future__ import annotations

from typing import Optional

from qgis.PyQt.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy

from .. import deps
from ..i18n import tr
from .tasks import JobTask, one_line


class PlanButtons:
    def __init__(self, dock, layout, font):
        self.dock = dock
        row = QHBoxLayout()
        self.plan_button = QPushButton(tr("打印本村预案"))
        self.cards_button = QPushButton(tr("处置卡"))
        for b in (self.plan_button, self.cards_button):
            b.setFont(font)
            b.setMinimumHeight(48)
            b.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
            row.addWidget(b)
        layout.addLayout(row)
        self.plan_button.clicked.connect(self.print_plan)
        self.cards_button.clicked.connect(self.print_cards)

    def update(self, busy: bool) -> None:
        # the 包保 pairing needs scipy (the analyses' packages), the map QGIS's printing
        why = deps.unavailable_sentence("analysis")
        on = not why and not busy and self.dock.village() is not None
        self.plan_button.setEnabled(on)
        self.cards_button.setEnabled(on)

    def print_plan(self) -> Optional[JobTask]:
        return self._run(tr("打印 {name} 应急预案"), "risk_one_map.atlas.plan_map:print_plans")

    def print_cards(self) -> Optional[JobTask]:
        return self._run(tr("打印 {name} 应急处置卡"), "risk_one_map.atlas.plan_map:print_cards")

    def _run(self, description: str, fn: str) -> Optional[JobTask]:
        dock, village = self.dock, self.dock.village()
        if village is None or dock.package is None:
            return None
        task = JobTask(description.format(name=village["name"]), fn, str(dock.package), str(dock.out_dir()),
                       villages=[village["code"]], on_done=self._done, on_error=self._failed, qgis_objects=True)
        dock.task = task
        dock._update_buttons()
        dock.info.setText(tr("正在打印……进度见窗口底部的任务栏，可在那里取消。"))
        task.start()
        return task

    def _done(self, result) -> None:
        dock = self.dock
        dock.task = None
        dock._update_buttons()
        pdf = result.files[-1]
        text = tr("已打印：{file}").format(file=pdf.name)
        gaps = [line for line in result.inputs.pairing.gaps if line.startswith(dock.village()["name"])]
        dock.info.setText(text + ("\n" + gaps[0] if gaps else ""))
        dock._success(text, pdf.parent)

    def _failed(self, exc) -> None:
        dock = self.dock
        dock.task = None
        dock._update_buttons()
        dock.info.setText("")
        dock._error(tr("打印没有完成：{reason}").format(reason=one_line(exc)))
