"""Background tasks: the GUI never computes and never freezes.

``BaseTask`` (the GispoCoding qgis_plugin_tools pattern): ``run()`` (worker thread) calls ``_run()`` and catches
and stores any exception; ``finished()`` (main thread) hands the result or the stored error to callbacks, which
may touch the GUI; ``setProgress()`` raises ``Cancelled`` once the user cancelled, so a job stops at its next
progress report. ``_run()`` never touches layers of the project or widgets.

``JobTask`` wraps the jobs' ``run(..., progress=, cancelled=)`` functions (risk_one_map.jobs, the atlas export,
the importer): the same path as the CLI and Processing, so the same numbers.
"""
from __future__ import annotations

import threading
import traceback
from typing import Callable, Optional

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsTask

from .. import deps
from ..errors import Cancelled, RiskOneMapError
from ..i18n import tr

LOG_TAG = "Risk One Map"
_alive = set()  # tasks are kept referenced from Python until finished (else PyQt may collect them mid-run)


def one_line(exc: BaseException) -> str:
    """The message a user sees for ``exc``: RiskOneMapError as is (one line naming file/layer/feature/field)."""
    if isinstance(exc, Cancelled):
        return tr("已取消，没有写入任何文件。")
    if isinstance(exc, RiskOneMapError):
        return str(exc)
    if isinstance(exc, ImportError) and exc.name:  # a package the feature needs is missing: say what to click
        return deps.missing_sentence([exc.name.split(".")[0]])
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def push_success(iface, title: str, text: str, folder) -> None:
    """A lasting success message on the message bar with a button that opens ``folder`` (where a print went)."""
    from qgis.PyQt.QtCore import QUrl
    from qgis.PyQt.QtGui import QDesktopServices
    push_with_button(iface, title, text, tr("打开文件夹"),
                     lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))), Qgis.Success)


def push_with_button(iface, title: str, text: str, label: str, slot: Callable, level) -> object:
    """A lasting message on the message bar with one button; returns the message widget (to pop it later)."""
    from qgis.PyQt.QtWidgets import QPushButton
    bar = iface.messageBar()
    widget = bar.createMessage(title, text)
    button = QPushButton(label, widget)
    button.clicked.connect(lambda checked=False: slot())
    widget.layout().addWidget(button)
    bar.pushWidget(widget, level, 0)
    return widget


class BaseTask(QgsTask):
    """A cancellable task; subclasses implement ``_run()`` (worker thread, no GUI, no project layers)."""

    def __init__(self, description: str, on_done: Optional[Callable] = None,
                 on_error: Optional[Callable] = None, flags=QgsTask.CanCancel):
        super().__init__(description, flags)
        self.result = None
        self.exception: Optional[BaseException] = None
        self.trace = ""
        self.on_done = on_done
        self.on_error = on_error
        self.done = False  # finished() ran (tests wait on it)
        self.qgis_objects = False  # True: _run builds QGIS objects and must run on the task's own QThread

    # worker thread ----------------------------------------------------------------------------------------------
    def run(self) -> bool:  # noqa: D401 (QGIS's name)
        # Pure jobs go to a fresh Python thread: QgsTaskManager reuses its pool threads, and a Python thread state
        # re-made on a reused foreign thread drops thread-local state that libraries keep (pyproj's PROJ
        # contexts: a second task on the same pool thread segfaulted in pyproj.CRS). The pool thread just waits.
        # Jobs that build QGIS objects (the atlas export: timers, layouts) need the QThread itself.
        if self.qgis_objects:
            try:
                self._guarded()
            finally:
                deps.keep_proj_context()  # this pool thread will run other tasks
            return self.exception is None
        thread = threading.Thread(target=self._guarded, name=f"risk_one_map: {self.description()}", daemon=True)
        thread.start()
        thread.join()
        return self.exception is None

    def _guarded(self) -> None:
        try:
            self.result = self._run()
        except BaseException as exc:  # noqa: BLE001 (stored, shown on the main thread)
            self.exception = exc
            if not isinstance(exc, (Cancelled, RiskOneMapError)):
                self.trace = traceback.format_exc()

    def _run(self):
        raise NotImplementedError

    def setProgress(self, progress: float) -> None:  # noqa: N802
        if self.isCanceled():
            raise Cancelled()
        super().setProgress(progress)

    def progress_fn(self, fraction: float) -> None:
        """For the jobs' ``progress(fraction)``: 0..1 -> 0..100, raises Cancelled when cancelled."""
        self.setProgress(100.0 * max(0.0, min(1.0, float(fraction))))

    # main thread ------------------------------------------------------------------------------------------------
    def finished(self, ok: bool) -> None:
        _alive.discard(self)
        try:
            if ok:
                if self.on_done is not None:
                    self.on_done(self.result)
                return
            exc = self.exception or Cancelled()
            if self.isCanceled() and not isinstance(exc, RiskOneMapError):
                exc = Cancelled()
            if self.trace:
                QgsMessageLog.logMessage(f"{self.description()}:\n{self.trace}", LOG_TAG, Qgis.Critical)
            if self.on_error is not None:
                self.on_error(exc)
            else:
                QgsMessageLog.logMessage(f"{self.description()}: {one_line(exc)}", LOG_TAG, Qgis.Critical)
        finally:
            self.done = True

    def start(self) -> "BaseTask":
        """Hand the task to QGIS's task manager (progress in the task bar, cancel there)."""
        _alive.add(self)
        QgsApplication.taskManager().addTask(self)
        return self


class JobTask(BaseTask):
    """Run ``fn(*args, progress=..., cancelled=..., **kwargs)`` in the background. ``fn`` may be a callable or a
    "risk_one_map.module:function" string, imported in the task (after ``deps.native_imports()``), so the GUI
    thread never imports the analysis stack."""

    def __init__(self, description: str, fn: Callable, *args, on_done=None, on_error=None, qgis_objects=False,
                 **kwargs):
        super().__init__(description, on_done=on_done, on_error=on_error)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.qgis_objects = qgis_objects

    def _run(self):
        from .. import deps
        deps.native_imports()  # geo wheels bound to their own C libraries inside QGIS (see deps.py)
        fn = self.fn
        if isinstance(fn, str):
            import importlib
            module, _, name = fn.partition(":")
            fn = getattr(importlib.import_module(module), name)
        return fn(*self.args, progress=self.progress_fn, cancelled=self.isCanceled, **self.kwargs)


def wait(task: BaseTask, timeout_s: float = 120.0) -> bool:
    """Process events until ``task`` has finished and its callbacks ran (tests, scripts). True if it did."""
    import time
    from qgis.PyQt.QtCore import QCoreApplication
    end = time.monotonic() + timeout_s
    while not task.done and time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    return task.done
