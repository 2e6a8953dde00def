"""What every Risk One Map algorithm shares: icon, group, dependency check, progress wiring, error wrapping."""
from __future__ import annotations

import contextlib
from pathlib import Path

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtGui import QIcon

from .. import deps
from ..errors import Cancelled, RiskOneMapError

ICON_PATH = Path(__file__).resolve().parent.parent / "resources" / "icons" / "icon.svg"


def icon() -> QIcon:
    return QIcon(str(ICON_PATH))


def wire_feedback(feedback):
    """``(progress, cancelled)`` callables for the pure core, fed to QgsProcessingFeedback (None-safe)."""
    if feedback is None:
        return (lambda fraction: None), (lambda: False)

    def progress(fraction: float) -> None:
        feedback.setProgress(100.0 * max(0.0, min(1.0, float(fraction))))

    return progress, feedback.isCanceled


@contextlib.contextmanager
def user_errors():
    """RiskOneMapError (one line naming file, layer, feature, field) -> QgsProcessingException."""
    try:
        yield
    except Cancelled as exc:
        raise QgsProcessingException(str(exc)) from exc
    except RiskOneMapError as exc:
        raise QgsProcessingException(str(exc)) from exc


class RiskOneMapAlgorithm(QgsProcessingAlgorithm):
    """Base: subclasses set NAME, DISPLAY, GROUP, GROUP_ID, FEATURE (a key of deps.FEATURES) and HELP."""

    NAME = ""
    DISPLAY = ""
    GROUP = "一张图包 Package"
    GROUP_ID = "package"
    FEATURE = ""
    HELP = ""

    def name(self) -> str:
        return self.NAME

    def displayName(self) -> str:  # noqa: N802 (QGIS's names)
        return self.DISPLAY

    def group(self) -> str:
        return self.GROUP

    def groupId(self) -> str:  # noqa: N802
        return self.GROUP_ID

    def shortHelpString(self) -> str:  # noqa: N802
        return self.HELP

    def icon(self) -> QIcon:
        return icon()

    def createInstance(self):  # noqa: N802
        return type(self)()

    def canExecute(self):  # noqa: N802
        gone = deps.missing(deps.FEATURES.get(self.FEATURE, ()))
        if gone:
            return False, deps.install_message(gone)
        return True, ""
