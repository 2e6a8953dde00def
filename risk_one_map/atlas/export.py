"""Print every village sheet: one PDF per village, in parallel processes, atomically, skipping what is up to date.

``export_village_sheets`` is what the CLI (``risk-one-map atlas``), the Processing algorithm and the dock call.
Each process starts its own headless QgsApplication, builds the sheet project once (``layout.build_sheet_project``)
and then walks the atlas to its villages, exactly as QGIS's own atlas export does, writing each PDF to a temporary
file that is moved into place only when complete. Several processes: print_workers.
"""
from __future__ import annotations

import os
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from ..errors import Cancelled, Interrupted, RiskOneMapError
from ..layers import model
from ..progress import CancelledFn, ProgressFn
from . import templates as T

PREVIEW_DPI = 60
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
MAX_NAME_BYTES = 180  # ext4 allows 255 bytes; CJK takes 3 bytes a character in UTF-8; leave room for suffixes


def safe_filename(text: str, fallback: str = "未命名") -> str:
    """``text`` made safe as a file or folder name on Linux, macOS and Windows (reserved names, characters,
    trailing dots and spaces, length in bytes), NFC-normalised."""
    name = unicodedata.normalize("NFC", str(text or "")).strip()
    name = _UNSAFE.sub("_", name).rstrip(". ").lstrip()
    if not name or set(name) <= {".", "_"}:
        name = fallback
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    return name


@dataclass
class SheetJob:
    code: str
    pdf: Path
    png: Optional[Path] = None


@dataclass
class ExportResult:
    out_dir: Path
    written: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    merged: list = field(default_factory=list)
    previews: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    startups: list = field(default_factory=list)  # print_workers.StartUp of each process that printed

    @property
    def pdfs(self) -> list:
        return sorted(self.written + self.skipped)

    def summary_lines(self) -> list:
        lines = [f"village sheets: {len(self.written)} written, {len(self.skipped)} up to date, "
                 f"{self.seconds:.1f} s on {self.workers} process(es) -> {self.out_dir}"]
        if self.merged:
            lines.append(f"township PDFs: {len(self.merged)} merged")
        if self.previews:
            lines.append(f"PNG previews: {len(self.previews)}")
        lines += [f"note: {n}" for n in self.notes]
        return lines


# ------------------------------------------------------------------------------------------------ planning
def sheet_path(out_dir: Path, township: str, code: str, name: str) -> Path:
    """OUT/<township name>/<village code>_<village name>.pdf, every part safe for any file system."""
    folder = safe_filename(township, fallback="未知乡镇")
    return Path(out_dir) / folder / f"{safe_filename(f'{code}_{name}', fallback=code)}.pdf"


def _inputs_mtime(package_dir: Path, template: Path) -> float:
    files = [package_dir / model.GPKG_NAME, package_dir / model.POPULATION_RASTER, package_dir / model.DEM_RASTER,
             template]
    return max((f.stat().st_mtime for f in files if f.is_file()), default=0.0)


def _up_to_date(path: Path, since: float) -> bool:
    return path.is_file() and path.stat().st_mtime > since


def plan_jobs(data, out_dir: Path, since: float, png: bool, force: bool):
    """(jobs to render, PDFs already up to date)."""
    jobs, skipped = [], []
    for code, name, township in zip(data.villages["code"], data.villages["name"], data.villages["township"]):
        pdf = sheet_path(out_dir, township, code, name)
        preview = pdf.with_suffix(".png") if png else None
        if not force and _up_to_date(pdf, since) and (preview is None or _up_to_date(preview, since)):
            skipped.append(pdf)
        else:
            jobs.append(SheetJob(code=code, pdf=pdf, png=preview))
    return jobs, skipped


# ------------------------------------------------------------------------------------------------ rendering
class SheetRenderer:
    """One process's renderer: the sheet project loaded once, then one atlas page per village.

    QGIS 3.22 keeps about 40 KB more after every page whose legend is filtered by map content (measured: flat with
    the filter off, and flat when the project is rebuilt), so the project is rebuilt every ``REBUILD_PAGES`` pages
    (about 1 s each time, about 1 % of the run): memory stays flat however many villages a county has."""

    REBUILD_PAGES = 250

    def __init__(self, package_dir, data, page: str = "A3", dpi: float = 150, template=None,
                 fit_tables: bool = True):
        self._args = (package_dir, data, page, template)
        self.dpi, self.fit_tables = dpi, fit_tables
        self._open()

    def _open(self) -> None:
        from qgis.core import QgsLayoutExporter
        from ..qgis_glue.fonts import pick_cjk_font
        from .layout import build_sheet_project
        from .layout_bind import radical_map
        from .layout_fit import LegendFitter, TableFitter
        package_dir, data, page, template = self._args
        self.sheet = build_sheet_project(package_dir, data, page, template)
        self.layout, self.atlas = self.sheet.layout, self.sheet.atlas
        self.layout.undoStack().stack().clear()
        self.layout.undoStack().blockCommands(True)  # no undo history: it would keep every page's changes
        self.exporter = QgsLayoutExporter(self.layout)
        self.settings = pdf_settings(self.dpi)
        coverage = self.atlas.coverageLayer()
        self.features = {f["code"]: f for f in coverage.getFeatures()}
        self.radicals = radical_map(pick_cjk_font())
        self.fitter = TableFitter(self.layout, T.spec_for(page))
        self.legend_fitter = LegendFitter(self.layout)
        self.pages = 0
        self.atlas.beginRender()

    def _rebuild(self) -> None:
        import gc
        self.close()
        gc.collect()
        _delete_later_now()
        self._open()

    def render(self, job: SheetJob) -> None:
        """Write ``job.pdf`` (and ``job.png``) for one village, each through a temporary file."""
        from qgis.core import QgsLayoutExporter
        from .pdf_text import fix_tounicode
        if self.pages >= self.REBUILD_PAGES:
            self._rebuild()
        self.pages += 1
        feature = self.features.get(job.code)
        if feature is None or not self.atlas.seekTo(feature):
            raise RiskOneMapError(f"village {job.code} is not in the atlas", layer="villages", field="code")
        job.pdf.parent.mkdir(parents=True, exist_ok=True)
        tmp = job.pdf.with_name(f".{job.pdf.stem}.{os.getpid()}.tmp.pdf")
        try:
            if self.fit_tables:
                self.fitter.prepare()
                self.legend_fitter.prepare()  # fit the legend to this village's map before the one export
            result = self.exporter.exportToPdf(str(tmp), self.settings)
            if result != QgsLayoutExporter.Success:
                raise RiskOneMapError(f"QGIS could not write the PDF (exporter code {result})", file=job.pdf)
            fix_tounicode(tmp, self.radicals)
            if job.png is not None:
                self._preview(job.png)
            os.replace(tmp, job.pdf)
        finally:
            if self.fit_tables:
                self.fitter.cleanup()
                self.legend_fitter.restore()
            _delete_later_now()
            if tmp.exists():
                tmp.unlink()

    def _preview(self, png: Path) -> None:
        write_png(self.exporter, png, PREVIEW_DPI)

    def open_render(self) -> None:
        self.atlas.beginRender()

    def close_render(self) -> None:
        self.atlas.endRender()

    def close(self) -> None:
        self.atlas.endRender()
        self.exporter = None
        self.sheet.close()


def checked_template(template, dpi: float) -> Path:
    """The template path, once it is known to exist and ``dpi`` to be sensible; a one-line error otherwise."""
    template = Path(template)
    if not template.is_file():
        raise RiskOneMapError("the layout template is missing (run scripts/make_layouts.py)", file=template)
    if dpi <= 0 or dpi > 1200:
        raise RiskOneMapError(f"dpi must be between 1 and 1200, not {dpi}")
    return template


def pdf_settings(dpi: float = 150):
    """The PDF export settings of every sheet: text stays text (searchable, CJK extractable), vector where
    possible, georeferenced, with metadata."""
    from qgis.core import QgsLayoutExporter, QgsRenderContext
    settings = QgsLayoutExporter.PdfExportSettings()
    settings.dpi = float(dpi)
    settings.textRenderFormat = QgsRenderContext.TextFormatAlwaysText  # text stays text (searchable)
    settings.rasterizeWholeImage = False
    settings.forceVectorOutput = False
    settings.appendGeoreference = True
    settings.exportMetadata = True
    settings.simplifyGeometries = True
    return settings


def write_png(exporter, png: Path, dpi: float) -> None:
    """The first page of ``exporter``'s layout as a PNG at ``dpi``, through a temporary file."""
    from qgis.core import QgsLayoutExporter
    tmp = png.with_name(f".{png.stem}.{os.getpid()}.tmp.png")
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = float(dpi)
    settings.pages = [0]
    from osgeo import gdal
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # QGIS tries to georeference the PNG; GDAL cannot update one
    try:
        result = exporter.exportToImage(str(tmp), settings)
        if result != QgsLayoutExporter.Success:
            raise RiskOneMapError(f"QGIS could not write the preview (exporter code {result})", file=png)
        os.replace(tmp, png)
    finally:
        gdal.PopErrorHandler()
        if tmp.exists():
            tmp.unlink()


def _delete_later_now() -> None:
    """Delete what QGIS handed to deleteLater (items and pages removed between villages): without an event loop,
    as headless here, nothing else would, and every long table's continuation page would stay in memory."""
    from qgis.PyQt.QtCore import QCoreApplication, QEvent
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


class KeptRenderer:
    """One sheet renderer kept from one export to the next in a long-lived process (the province's QGIS server),
    so that a county printed township by township loads its sheet project once, not once a township. It is built
    over all the package's villages, so every selection prints from it the sheets a whole-county run prints;
    another package, changed inputs or other settings replace it."""

    def __init__(self):
        self.key, self.renderer = None, None

    def get(self, key, make):
        if key != self.key:
            self.close()
            self.renderer, self.key = make(), key
        return self.renderer

    def close(self) -> None:
        if self.renderer is not None:
            self.renderer.close()
        self.key = self.renderer = None


def _run_in_process(renderer, jobs, tick, cancelled, kept: Optional[KeptRenderer] = None) -> None:
    """Print ``jobs`` here with ``renderer``; closed at the end unless it is ``kept``'s for the next export."""
    done, ok = 0, False
    try:
        for job in jobs:
            if cancelled():
                raise Cancelled("cancelled by the user; finished sheets were kept, no partial PDF was written")
            renderer.render(job)
            done += 1
            tick(done)
        ok = True
    finally:
        if kept is None:
            renderer.close()
        elif not ok:
            kept.close()  # a renderer stopped mid-page is not trusted with the next export


def _python_executable() -> str:
    """A Python interpreter for the workers: QGIS's own (inside QGIS ``sys.executable`` may be QGIS itself)."""
    from ..installer import python_executable
    return python_executable()


def export_village_sheets(package_dir, out_dir, villages: Optional[Iterable[str]] = None,
                          township: Optional[str] = None, page: str = "A3", dpi: float = 150,
                          merge_township: bool = False, png_preview: bool = False, workers: int = 1,
                          force: bool = False, progress: Optional[ProgressFn] = None,
                          cancelled: Optional[CancelledFn] = None, template=None,
                          compile_unit: Optional[str] = None, in_process: Optional[bool] = None,
                          kept: Optional[KeptRenderer] = None) -> ExportResult:
    """Print the village sheets of the package at ``package_dir`` into ``out_dir``.

    One PDF per village at ``out_dir/<township name>/<village code>_<village name>.pdf`` (plus a PNG of page 1
    with ``png_preview``, and ``out_dir/<township name>_合订本.pdf`` per township with ``merge_township``).
    A village whose PDF is newer than the package files and the template is skipped unless ``force``.
    ``workers`` > 1 renders in up to that many processes: one more only per ``print_workers.PAGES_PER_PROCESS``
    sheets, whose start-up it repays (``result.workers`` says how many printed, ``result.startups`` what each paid
    before its first page). ``cancelled()`` stops between pages: finished PDFs stay, no partial file is ever left.
    ``in_process`` (default True) has this process print too (alone when one process is enough); pass False from
    a thread that is not the application's main thread (a QGIS task or Processing run in QGIS Desktop): the layout
    is then built and printed in worker processes only. ``kept`` (one process printing): a KeptRenderer that
    keeps the sheet project loaded for the next export of the same package. Raises RiskOneMapError on bad input,
    Cancelled when cancelled.
    """
    from .sheet_data import build_sheet_data
    t0 = time.monotonic()
    progress = progress or (lambda f: None)
    cancelled = cancelled or (lambda: False)
    package_dir, out_dir = Path(package_dir), Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise RiskOneMapError("the output folder is a file; give a folder for the sheets", file=out_dir)
    from ..layers.check import require_valid
    from ..leftovers import sweep
    require_valid(package_dir, "atlas")
    sweep(out_dir, depth=1)  # half-written sheets of a killed run
    spec = T.spec_for(page)
    template = checked_template(template or T.template_path(spec.name), dpi)
    progress(0.0)
    data = build_sheet_data(package_dir, villages=villages, township=township, compile_unit=compile_unit,
                            page=spec.name)
    if cancelled():
        raise Cancelled()
    inputs_mtime = _inputs_mtime(package_dir, template)
    jobs, skipped = plan_jobs(data, out_dir, inputs_mtime, png_preview, force)
    from . import print_workers
    asked, workers = int(workers or 1), print_workers.process_count(workers, len(jobs))
    in_process = True if in_process is None else bool(in_process)
    result = ExportResult(out_dir=out_dir, skipped=skipped, notes=list(data.notes), workers=workers)
    if workers < asked and len(jobs) > 1:
        result.notes.append(f"{len(jobs)} sheets printed in {workers} process(es), not {asked}: another process "
                            f"pays for its start-up only from {print_workers.PAGES_PER_PROCESS} sheets each")
    progress(0.05)
    merge_share = 0.05 if merge_township else 0.0

    finished = [0]

    def tick(done: int) -> None:
        finished[0] = done
        progress(0.05 + (0.95 - merge_share) * done / max(1, len(jobs)))

    if jobs:
        # Only the villages to render go to the workers (a smaller coverage layer, less to pickle).
        codes = {j.code for j in jobs}
        sub = _subset(data, codes)
        try:
            if in_process and workers == 1:
                if kept is None:
                    make = lambda: SheetRenderer(package_dir, sub, spec.name, dpi, str(template))  # noqa: E731
                else:  # over the whole county, for any later selection
                    key = (str(package_dir.resolve()), inputs_mtime, spec.name, dpi,
                           str(template), compile_unit)
                    make = lambda: kept.get(key, lambda: SheetRenderer(package_dir, build_sheet_data(  # noqa: E731
                        package_dir, compile_unit=compile_unit, page=spec.name), spec.name, dpi, str(template)))
                renderer, startup = print_workers.started(make)
                result.startups = [startup]
                _run_in_process(renderer, jobs, tick, cancelled, kept)
            else:
                result.startups = print_workers.run(package_dir, sub, jobs, spec.name, dpi, str(template), workers,
                                                    tick, cancelled, here=in_process)
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted: {finished[0]} of {len(jobs)} sheets were finished and kept in "
                              f"{out_dir}; no partial PDF was written") from None
    result.written = [j.pdf for j in jobs]
    result.previews = [j.png for j in jobs if j.png is not None] + \
        [p.with_suffix(".png") for p in skipped if png_preview]
    if merge_township:
        result.merged = _merge_townships(data, out_dir, result.pdfs, cancelled)
    result.seconds = time.monotonic() - t0
    progress(1.0)
    return result


def _subset(data, codes: set):
    from dataclasses import replace
    keep = lambda f: f[f["village_code"].isin(codes)].reset_index(drop=True)  # noqa: E731
    return replace(data, villages=data.villages[data.villages["code"].isin(codes)].reset_index(drop=True),
                   hazards=keep(data.hazards), shelters=keep(data.shelters), persons=keep(data.persons),
                   exposure=keep(data.exposure), route_heads=keep(data.route_heads))


def _merge_townships(data, out_dir: Path, pdfs: list, cancelled: Callable[[], bool]) -> list:
    """One PDF per township of the selection: its villages' sheets in code order."""
    from ..layers.package import atomic_path
    from .pdf_text import merge_pdfs
    by_town: dict = {}
    for code, name, township in zip(data.villages["code"], data.villages["name"], data.villages["township"]):
        by_town.setdefault(township, []).append(sheet_path(out_dir, township, code, name))
    merged = []
    for township, paths in sorted(by_town.items()):
        if cancelled():
            raise Cancelled("cancelled by the user; the village sheets were kept, no partial PDF was written")
        paths = [p for p in sorted(paths) if p.is_file()]
        if not paths:
            continue
        final = out_dir / f"{safe_filename(township, fallback='未知乡镇')}_合订本.pdf"
        if final.is_file() and final.stat().st_mtime >= max(p.stat().st_mtime for p in paths):
            merged.append(final)
            continue
        try:
            with atomic_path(final, suffix=".pdf") as tmp:
                merge_pdfs(paths, tmp)
        except FileNotFoundError:
            raise RiskOneMapError("merging PDFs needs poppler's pdfunite (Debian: apt install poppler-utils)")
        merged.append(final)
    return merged
