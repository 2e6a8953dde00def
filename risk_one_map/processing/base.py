"""What every Risk One Map algorithm shares: icon, group, dependency check, progress wiring, error wrapping,
safe loading of the geo wheels inside QGIS (``prepareAlgorithm``), and styled output layers: the analysis layers
an algorithm wrote into the package are loaded on completion, styled by a layer post-processor."""
from __future__ import annotations

import contextlib
from pathlib import Path

from qgis.core import (QgsProcessingAlgorithm, QgsProcessingContext, QgsProcessingException,
                       QgsProcessingLayerPostProcessorInterface)
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


def add_package_parameter(alg) -> None:
    """The package folder every algorithm starts from, as parameter ``alg.PACKAGE``."""
    from qgis.core import QgsProcessingParameterFile
    alg.addParameter(QgsProcessingParameterFile(alg.PACKAGE, "一张图数据包 Package folder",
                                                behavior=QgsProcessingParameterFile.Folder))


def say_lines(feedback, lines) -> str:
    """A job's summary lines into Processing's log (when there is a feedback); returned joined, for an output."""
    lines = list(lines)
    if feedback is not None:
        for line in lines:
            feedback.pushInfo(line)
    return "\n".join(lines)


@contextlib.contextmanager
def user_errors():
    """RiskOneMapError (one line naming file, layer, feature, field) -> QgsProcessingException.

    QGIS Desktop runs algorithms on its reused pool threads: pyproj's context is kept for the next one."""
    try:
        yield
    except Cancelled as exc:
        raise QgsProcessingException(str(exc)) from exc
    except RiskOneMapError as exc:
        raise QgsProcessingException(str(exc)) from exc
    finally:
        deps.keep_proj_context()


# Layers each algorithm writes into onemap.gpkg and offers to load when it finishes (toolbox, modeler outputs).
OUTPUT_LAYERS = {
    "exposure": ("exposure_villages",),
    "evacuation": ("evacuation_zones", "evacuation_routes", "shelter_load", "unserved"),
    "isochrones": ("shelter_isochrones",),
    "sitedepots": ("depot_sites", "depot_allocation"),
    "warning": ("warning_area", "warning_villages", "warning_households", "warning_calls"),
    "lowpoints": ("dem_depressions",),
    "villageplan": ("helpers",),  # the 包保 pairs, to edit in QGIS
}


class StyleOutputPostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Styles a loaded output layer like the package loader would.

    The processing context takes ownership and deletes the post-processor when the context ends, so one is made
    for every layer of every run (a cached one is dead by the second run: its layers were not loaded). The
    references kept in ``alive`` only guard against Python collecting one before QGIS has used it."""

    alive: list = []

    def __init__(self, layer_name: str):
        super().__init__()
        self.layer_name = layer_name

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        from ..qgis_glue.outputs import display_name, style_output
        layer.setName(display_name(self.layer_name))
        style_output(layer, self.layer_name)

    @classmethod
    def create(cls, layer_name: str) -> "StyleOutputPostProcessor":
        processor = cls(layer_name)
        cls.alive = cls.alive[-63:] + [processor]
        return processor


def load_on_completion(context, package, layer_names) -> list:
    """Ask Processing to load ``layer_names`` of ``package``'s GeoPackage when the algorithm has finished, each
    styled by its post-processor. Returns the URIs."""
    from ..qgis_glue.outputs import display_name, gpkg_uri
    from ..qgis_glue.project import gpkg_layer_names
    from ..layers import model
    present = set(gpkg_layer_names(Path(package) / model.GPKG_NAME))
    uris = []
    for name in layer_names:
        if name not in present:
            continue
        uri = gpkg_uri(package, name)
        details = QgsProcessingContext.LayerDetails(display_name(name), context.project(), name)
        details.setPostProcessor(StyleOutputPostProcessor.create(name))
        context.addLayerToLoadOnCompletion(uri, details)
        uris.append(uri)
    return uris


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

    # Missing packages: one Chinese sentence saying what to click, never a traceback. The toolbox greys the
    # algorithm (canExecute); the dialog, batch and modeler check parameters first (checkParameterValues);
    # qgis_process and processing.run reach prepareAlgorithm, which refuses with the same sentence.
    def canExecute(self):  # noqa: N802
        why = deps.unavailable_sentence(self.FEATURE)
        return not why, why

    def checkParameterValues(self, parameters, context):  # noqa: N802
        why = deps.unavailable_sentence(self.FEATURE)
        if why:
            return False, why
        return super().checkParameterValues(parameters, context)

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        """Main thread, before processAlgorithm: refuse when packages are missing, load the geo wheels safely
        (deps.native_imports) and remember the package whose output layers are to be loaded."""
        why = deps.unavailable_sentence(self.FEATURE)
        if why:
            raise QgsProcessingException(why)
        deps.native_imports()
        self._package_for_outputs = None
        if self.NAME in OUTPUT_LAYERS and self.parameterDefinition("PACKAGE") is not None:
            self._package_for_outputs = self.parameterAsFile(parameters, "PACKAGE", context)
        return True

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        package = getattr(self, "_package_for_outputs", None)
        if package:
            load_on_completion(context, package, OUTPUT_LAYERS[self.NAME])
        return {}
