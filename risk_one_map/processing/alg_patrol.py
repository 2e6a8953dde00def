"""Processing algorithms 'riskonemap:patrolexport' and 'riskonemap:patrolmerge' (巡查): thin doors over
risk_one_map.jobs.patrol and atlas.patrol_project, the same functions as `risk-one-map patrol-export/-merge`."""
from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputFolder, QgsProcessingOutputNumber, QgsProcessingOutputString, QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination, QgsProcessingParameterString,
)

from .alg_ledger import GROUP, GROUP_ID
from .base import RiskOneMapAlgorithm, add_package_parameter, say_lines, user_errors, wire_feedback


class PatrolExportAlgorithm(RiskOneMapAlgorithm):
    NAME = "patrolexport"
    DISPLAY = "导出巡查包（QField） Patrol folder for QField"
    GROUP, GROUP_ID, FEATURE = GROUP, GROUP_ID, "analysis"
    HELP = ("为一个乡镇写一个可直接用 QField（手机上的 QGIS，离线可用）打开的巡查包文件夹：patrol.qgz 工程、本镇的村界、台账隐患、"
            "地质灾害隐患点和危险区、低洼易涝点、避难场所和道路（样式与办公室一致），地形晕渲作离线底图；两个在手机上填写的"
            "图层带中文表单：巡查记录（从列表选隐患、日期、巡查人、发现情况、照片、状态变更）和新发现隐患（类别、所在村、照片、"
            "地图上点位）。把文件夹拷到每部手机，巡查后交回，用“合并巡查包”合并。<br>Writes a QField-ready folder for one "
            "township: the project, its data, an offline hillshade, and Chinese forms for inspections and new sites.")
    PACKAGE, TOWNSHIP, INSPECTOR, OUT, SUMMARY = "PACKAGE", "TOWNSHIP", "INSPECTOR", "OUT", "SUMMARY"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterString(self.TOWNSHIP, "乡镇代码 Township code"))
        self.addParameter(QgsProcessingParameterString(self.INSPECTOR, "巡查人（可在手机上改） Inspector",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUT, "巡查包文件夹 Patrol folder"))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, "摘要 Summary"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..atlas.patrol_project import write_patrol_project
        from ..jobs.patrol import export
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        out = self.parameterAsString(parameters, self.OUT, context)
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            result = export(package, self.parameterAsString(parameters, self.TOWNSHIP, context).strip(), out,
                            overwrite=True, progress=progress, cancelled=cancelled)
            write_patrol_project(out, inspector=self.parameterAsString(parameters, self.INSPECTOR, context) or None)
        return {self.OUT: out, self.SUMMARY: say_lines(feedback, result.summary_lines())}


class PatrolMergeAlgorithm(RiskOneMapAlgorithm):
    NAME = "patrolmerge"
    DISPLAY = "合并巡查包 Merge returned patrol folders"
    GROUP, GROUP_ID, FEATURE = GROUP, GROUP_ID, "analysis"
    HELP = ("把手机交回的巡查包合并进数据包：巡查记录全部保存，状态变更按治理流程写入并记入变更记录，新发现隐患加入台账"
            "（待交办），照片拷到数据包旁的“巡查照片”文件夹。两部手机对同一隐患改成不同状态，或导出后办公室已改过状态的，"
            "作为冲突列出、双方记录都保留，由台账管理人员决定。同一巡查包再合并一次不会改变任何内容。<br>Merges returned "
            "patrol folders: records kept, status changes with history, new sites added, photos copied, conflicts "
            "reported; merging a folder twice changes nothing.")
    PACKAGE, FOLDER, MORE = "PACKAGE", "FOLDER", "MORE"
    OUTPUT_PACKAGE, SUMMARY, CONFLICTS = "OUTPUT_PACKAGE", "SUMMARY", "CONFLICTS"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_package_parameter(self)
        self.addParameter(QgsProcessingParameterFile(self.FOLDER, "交回的巡查包 Returned patrol folder",
                                                     behavior=QgsProcessingParameterFile.Folder))
        self.addParameter(QgsProcessingParameterString(
            self.MORE, "更多巡查包（分号分隔） More folders (separated by ;)", optional=True))
        self.addOutput(QgsProcessingOutputFolder(self.OUTPUT_PACKAGE, "一张图数据包 Package"))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, "合并报告 Report"))
        self.addOutput(QgsProcessingOutputNumber(self.CONFLICTS, "冲突数 Conflicts"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..jobs.patrol import merge
        package = self.parameterAsFile(parameters, self.PACKAGE, context)
        folders = [self.parameterAsFile(parameters, self.FOLDER, context)] + [
            f.strip() for f in (self.parameterAsString(parameters, self.MORE, context) or "").split(";") if f.strip()]
        progress, cancelled = wire_feedback(feedback)
        with user_errors():
            result = merge(package, folders, progress=progress, cancelled=cancelled)
        return {self.OUTPUT_PACKAGE: package, self.SUMMARY: say_lines(feedback, result.summary_lines()),
                self.CONFLICTS: len(result.report.conflicts)}
