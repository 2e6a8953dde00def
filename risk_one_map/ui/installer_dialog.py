"""安装所需组件: installs the missing Python packages into the plugin's own folder, with a progress bar and a log.

From the internet (pip's index, or the mirror set in the PC's pip.conf) or, on an intranet PC, from a local folder
of wheels (``make wheelhouse``). The two pip steps of installer.Plan run one after the other in a QProcess, so QGIS
stays responsive and 取消 ends pip at once; the plugin's folder only changes when everything installed (the
staging folder is merged in at the end). Afterwards the features are turned on without a restart, unless an older
version of a package had already been loaded (then the dialog says to restart QGIS).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional

from qgis.PyQt.QtCore import QProcess, QProcessEnvironment, pyqtSignal
from qgis.PyQt.QtWidgets import (QButtonGroup, QCheckBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                                 QPlainTextEdit, QProgressBar, QPushButton, QRadioButton, QVBoxLayout)

from .. import deps, installer, settings
from ..i18n import tr

# where the progress bar stands after each step; pip's "Collecting/Processing" lines move it within a step
RESOLVED_AT, INSTALLED_AT = 30, 90


class InstallerDialog(QDialog):
    """Emits ``installFinished(ok)`` when a run ends (installed, failed or cancelled)."""

    installFinished = pyqtSignal(bool)  # noqa: N815 (Qt's naming)

    def __init__(self, folder, on_installed: Optional[Callable] = None, parent=None, python: Optional[str] = None):
        super().__init__(parent)
        self.setObjectName("RiskOneMapInstaller")
        self.setWindowTitle(tr("安装所需组件"))
        self.folder = Path(folder)
        self.on_installed = on_installed
        self.python = python or installer.python_executable()
        self.process: Optional[QProcess] = None
        self.plan: Optional[installer.Plan] = None
        self.step = ""
        self.pins: list = []
        self.result: dict = {}
        self._build()
        self.refresh()

    # ------------------------------------------------------------------------------------------ widgets
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)

        self.online = QRadioButton(tr("从网络安装（需要能上网）"))
        self.offline = QRadioButton(tr("从本地文件夹安装（内网电脑：先在能上网的电脑上准备好组件文件夹）"))
        group = QButtonGroup(self)
        for b in (self.online, self.offline):
            group.addButton(b)
            lay.addWidget(b)
        row = QHBoxLayout()
        self.wheels_edit = QLineEdit(settings.value("wheel_dir") or "")
        self.wheels_edit.setPlaceholderText(tr("组件文件夹（里面是 .whl 文件）"))
        self.choose_button = QPushButton(tr("选择…"))
        self.choose_button.clicked.connect(self.choose_folder)
        row.addWidget(self.wheels_edit, 1)
        row.addWidget(self.choose_button)
        lay.addLayout(row)
        (self.offline if self.wheels_edit.text() else self.online).setChecked(True)
        self.optional = QCheckBox(tr("同时安装可选组件：OR-Tools（转移避险分配更快）、openpyxl（导入 Excel 表格）、"
                                     "defusedxml（读取预警文件）、numba（DEM 洼地计算更快）"))
        lay.addWidget(self.optional)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        lay.addWidget(self.progress)
        self.status = QLabel("")
        self.status.setObjectName("RiskOneMapInstallerStatus")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setPlaceholderText(tr("安装记录"))
        self.log.setMinimumHeight(160)
        lay.addWidget(self.log, 1)

        buttons = QHBoxLayout()
        self.install_button = QPushButton(tr("安装"))
        self.install_button.setDefault(True)
        self.install_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(tr("取消安装"))
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton(tr("关闭"))
        self.close_button.clicked.connect(self.close)
        buttons.addStretch(1)
        for b in (self.install_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        lay.addLayout(buttons)
        self.resize(720, 600)
        self._set_running(False)

    def refresh(self) -> None:
        gone = deps.missing()
        if gone:
            self.summary.setText(tr("缺少：{names}。暂不能用：{off}。").format(
                names="、".join(gone), off=deps.disabled_text(gone)) + "\n" + tr("安装位置：{folder}").format(
                folder=self.folder))
        else:
            self.summary.setText(tr("所需组件都已安装，各项功能可用。也可以在这里安装可选组件。"))

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, tr("选择组件文件夹"), self.wheels_edit.text() or str(Path.home()))
        if path:
            self.wheels_edit.setText(path)
            self.offline.setChecked(True)

    def _set_running(self, running: bool) -> None:
        self.install_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.close_button.setEnabled(not running)
        for w in (self.online, self.offline, self.wheels_edit, self.choose_button, self.optional):
            w.setEnabled(not running)

    # ------------------------------------------------------------------------------------------ the run
    def start(self) -> bool:
        """Start installing; False (with the reason in the status line) when there is nothing to do or the
        wheel folder is not there."""
        wheels = None
        if self.offline.isChecked():
            wheels = Path(self.wheels_edit.text().strip())
            if not self.wheels_edit.text().strip() or not wheels.is_dir() or not any(wheels.glob("*.whl")):
                self._say(tr("请选择一个装有 .whl 组件文件的文件夹。"))
                return False
            settings.set_value("wheel_dir", str(wheels))
        specs = installer.requirement_specs(deps.missing(), optional=self.optional.isChecked())
        if not specs:
            self._say(tr("所需组件都已安装，不需要再装。"))
            return False
        self.log.clear()
        self.result = {}
        self.plan = installer.Plan(self.python, self.folder, specs, installer.kept_versions(), wheels)
        self._log(tr("要安装：") + " ".join(specs))
        self._log(tr("保留 QGIS 自带的：") + " ".join(f"{k} {v}" for k, v in self.plan.kept.items()))
        self._set_running(True)
        self.progress.setValue(2)
        self._say(tr("正在查找合适的版本……"))
        self._run("resolve", self.plan.resolve_args())
        return True

    def _run(self, step: str, args: list) -> None:
        self.step = step
        self.process = QProcess(self)
        env = QProcessEnvironment()
        for key, value in self.plan.environment(sys.path).items():
            env.insert(key, value)
        self.process.setProcessEnvironment(env)
        self.process.setProcessChannelMode(QProcess.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._step_done)
        self.process.errorOccurred.connect(self._failed_to_start)
        self._log("$ " + " ".join(args))
        self.process.start(args[0], args[1:])

    def _read(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        for line in text.splitlines():
            if not line.strip():
                continue
            self._log(line)
            if self.step == "install" and line.startswith(("Processing", "Collecting", "Looking in")):
                step = (INSTALLED_AT - RESOLVED_AT) / max(1, len(self.pins))
                self.progress.setValue(min(INSTALLED_AT - 1, int(self.progress.value() + step)))

    def _failed_to_start(self, error) -> None:
        if error == QProcess.FailedToStart:
            self._fail(tr("无法启动 QGIS 的 Python：{python}").format(python=self.python))

    def _step_done(self, code: int, status=None) -> None:
        if self.process is None:  # cancelled
            return
        self._read()
        self.process = None
        if code != 0:
            self._fail(tr("安装没有完成，组件文件夹保持原样。") + self._hint())
            return
        if self.step == "resolve":
            self.pins = self.plan.to_install()
            self.progress.setValue(RESOLVED_AT)
            if not self.pins:
                self._finish([])
                return
            self._log(tr("将装入：") + " ".join(self.pins))
            self._say(tr("正在安装 {n} 个组件……").format(n=len(self.pins)))
            self._run("install", self.plan.install_args(self.pins))
        elif self.step == "install":
            try:
                self.plan.finish()
            except installer.RestartNeeded:
                self._finish(self.pins, restart=True)
                return
            except OSError as exc:
                self.plan.discard()
                self._fail(tr("安装没有完成，组件文件夹保持原样：{reason}").format(reason=exc))
                return
            self._finish(self.pins)

    def _hint(self) -> str:
        text = self.log.toPlainText()
        if self.plan is not None and self.plan.wheels is not None and (
                "No matching distribution" in text or "Could not find a version" in text):
            return tr("组件文件夹里缺少适合这台电脑的文件（见下方记录），请用 make wheelhouse 重新准备。")
        if "No matching distribution" in text or "Could not fetch" in text or "NewConnectionError" in text:
            return tr("可能是这台电脑不能上网：请改用“从本地文件夹安装”。")
        return tr("详情见下方记录。")

    def _finish(self, pins: list, restart: bool = False) -> None:
        stale = installer.needs_restart(pins)  # before after_install, which loads the new geo wheels
        still = installer.after_install(self.folder)
        self.progress.setValue(100)
        self._set_running(False)
        self.result = {"installed": pins, "missing": still, "restart": restart or bool(stale)}
        if restart or stale:
            self._say(tr("组件已装好，请重启 QGIS 后使用（QGIS 已加载旧版本：{names}）。").format(
                names="、".join(stale) or tr("正在使用的组件")))
        elif still:
            self._say(tr("安装结束，但仍缺少：{names}。").format(names="、".join(still)) + self._hint())
        else:
            self._say(tr("安装完成，各项功能已启用，不需要重启 QGIS。"))
        self.refresh()
        if self.on_installed is not None:
            self.on_installed(self.result)
        self.installFinished.emit(not still)

    def _fail(self, text: str) -> None:
        if self.plan is not None:
            self.plan.discard()
        self.process = None
        self._set_running(False)
        self.progress.setValue(0)
        self.result = {"error": text}
        self._say(text)
        self.installFinished.emit(False)

    def cancel(self) -> None:
        """Stop pip now; the plugin's folder stays as it was (only the scratch folder had changed)."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.waitForFinished(5000)
        if self.plan is not None:
            self.plan.discard()
        self._set_running(False)
        self.progress.setValue(0)
        self.result = {"cancelled": True}
        self._say(tr("已取消，组件文件夹保持原样。"))
        self.installFinished.emit(False)

    def closeEvent(self, event):  # noqa: N802
        if self.process is not None:
            self.cancel()
        super().closeEvent(event)

    # ------------------------------------------------------------------------------------------ text
    def _say(self, text: str) -> None:
        self.status.setText(text)
        self._log(text)

    def _log(self, line: str) -> None:
        self.log.appendPlainText(line)
