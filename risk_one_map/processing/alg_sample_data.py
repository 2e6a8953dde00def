"""Processing: write the synthetic sample county (same builder as `risk-one-map sample-data`) and its project."""
from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsProcessingException, QgsProcessingOutputFile,
    QgsProcessingParameterBoolean, QgsProcessingParameterFolderDestination, QgsProcessingParameterNumber,
)

from .base import RiskOneMapAlgorithm, user_errors, wire_feedback


class SampleDataAlgorithm(RiskOneMapAlgorithm):
    VILLAGES = "VILLAGES"
    SEED = "SEED"
    OVERWRITE = "OVERWRITE"
    OPEN = "OPEN"
    OUTPUT = "OUTPUT"
    PROJECT = "PROJECT"
    MIN_VILLAGES = 8  # the sample county's generator needs at least this many

    NAME = "sampledata"
    DISPLAY = "生成示例县 Sample county"
    FEATURE = "sample_data"
    HELP = ("生成一个虚构但合理的示例县一张图包（同一随机种子结果相同）和样式齐全的 QGIS 工程 onemap.qgz，"
            "用于培训和试用。<br>Writes a synthetic but believable county package (deterministic for a seed) "
            "and its styled QGIS project onemap.qgz, for training and trying the tools.")

    def flags(self):
        # Builds QGIS layers and a project: keep it on the main thread.
        return super().flags() | self.FlagNoThreading

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterNumber(self.VILLAGES, "村（社区）数量 Villages",
                                                       QgsProcessingParameterNumber.Integer, 48, False,
                                                       self.MIN_VILLAGES, 100000))
        self.addParameter(QgsProcessingParameterNumber(self.SEED, "随机种子 Seed",
                                                       QgsProcessingParameterNumber.Integer, 7, False, 0))
        self.addParameter(QgsProcessingParameterBoolean(self.OVERWRITE, "覆盖已有文件夹 Replace an existing folder",
                                                        False))
        self.addParameter(QgsProcessingParameterBoolean(self.OPEN, "完成后加载到当前工程 Load into the current project",
                                                        True))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, "输出一张图包文件夹 Package folder"))
        self.addOutput(QgsProcessingOutputFile(self.PROJECT, "QGIS 工程 Project"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..sample.county import build_sample_county
        villages = self.parameterAsInt(parameters, self.VILLAGES, context)
        seed = self.parameterAsInt(parameters, self.SEED, context)
        overwrite = self.parameterAsBoolean(parameters, self.OVERWRITE, context)
        out = self.parameterAsString(parameters, self.OUTPUT, context)
        if not out:
            raise QgsProcessingException("no output folder given")
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            if villages < self.MIN_VILLAGES:
                raise QgsProcessingException(f"the sample county needs at least {self.MIN_VILLAGES} villages")
            pkg = build_sample_county(out, villages=villages, seed=seed, overwrite=overwrite,
                                      progress=lambda f: progress(0.9 * f), cancelled=cancelled)
            feedback.pushInfo(f"sample county written to {pkg.path}")
            from ..atlas.project_file import write_project_headless
            project = write_project_headless(pkg.path)
        feedback.pushInfo(f"QGIS project written to {project}")
        feedback.setProgress(100)
        self._loaded = (str(pkg.path), self.parameterAsBoolean(parameters, self.OPEN, context))
        return {self.OUTPUT: str(pkg.path), self.PROJECT: str(project)}

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802
        path, wanted = getattr(self, "_loaded", (None, False))
        if path and wanted and context.project() is not None:
            from ..qgis_glue.project import add_package
            with user_errors():
                add_package(context.project(), Path(path), feedback)
        return {}
