"""Run the corpus: every case through every command it names, in-process (``cli.main``) where possible, and sort
each run into an outcome class.

Classes: ok (exit 0 as expected), refused (exit 1, one line naming the file and what the case names),
unclear (exit 1 but the line does not say where, or several lines), traceback (an exception escaped),
wrong-exit-0 (exit 0 where the input must be refused or warned about), refused-valid (exit 1 on a good input).
Defects counted beside the class: input-changed, left-behind, unsafe-cell (a CSV cell Excel would run), noise
(Python warnings in the output).

``python -m tests.fuzz.runner [--full] [--filter TEXT]`` prints the counts; the tests assert on them.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import corpus

ROOT = Path(__file__).resolve().parents[2]
OK, REFUSED, UNCLEAR, TRACEBACK, WRONG0, REFUSED_VALID = (
    "ok", "refused", "unclear", "traceback", "wrong-exit-0", "refused-valid")
GOOD = {OK, REFUSED}
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Run:
    case: str
    family: str
    command: str
    rc: object
    outcome: str
    defects: list = field(default_factory=list)
    text: str = ""

    def line(self) -> str:
        extra = f" [{', '.join(self.defects)}]" if self.defects else ""
        tail = " | ".join(self.text.strip().splitlines()[-2:])[:300]
        return f"{self.outcome:13s} {self.command:11s} {self.case}{extra}: {tail}"


def build_base(where: Path) -> tuple:
    """The sample county (8 villages) and the raw files for import, built once."""
    from risk_one_map.sample.county import build_sample_county
    pkg = build_sample_county(where / "base" / "county", villages=8, seed=1).path
    raw = where / "base" / "raw"
    corpus.write_raw(pkg, raw)
    return pkg, raw


def snapshot(root: Path) -> dict:
    out = {}
    if root.is_file():
        return {str(root): hashlib.sha1(root.read_bytes()).hexdigest()}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(root))] = hashlib.sha1(p.read_bytes()).hexdigest()
    return out


def model_content(pkg: Path) -> dict:
    """A digest of every model layer's rows (read through SQLite) and of the rasters: what an analysis reads."""
    import sqlite3
    from risk_one_map.layers import model
    out = {}
    if not (pkg / "onemap.gpkg").is_file():
        return out
    for name in (model.POPULATION_RASTER, model.DEM_RASTER):
        if (pkg / name).is_file():
            out[name] = hashlib.sha1((pkg / name).read_bytes()).hexdigest()
    try:
        db = sqlite3.connect(f"file:{pkg / 'onemap.gpkg'}?mode=ro", uri=True)
        try:
            for spec in model.LAYERS:
                try:
                    rows = db.execute(f'SELECT * FROM "{spec.name}" ORDER BY 1').fetchall()
                except sqlite3.Error:
                    continue
                out[spec.name] = hashlib.sha1(repr(rows).encode()).hexdigest()
        finally:
            db.close()
    except sqlite3.Error:
        pass
    return out


def run_case(case: corpus.Case, base_pkg: Path, base_raw: Path, work: Path) -> list:
    work.mkdir(parents=True)
    pkg, raw, out = work / "county", work / "raw", work / "out"
    shutil.copytree(base_pkg, pkg)
    shutil.copytree(base_raw, raw)
    try:
        case.breaks(pkg, raw)
    except Exception:
        return [Run(case.name, case.family, "(setup)", None, "setup-failed", [], traceback.format_exc())]
    if case.name.endswith("--out is a file"):
        out.write_text("a file where the output folder should be", encoding="utf-8")
    runs = []
    for command, expect in case.expect.items():
        runs.append(_run_command(case, command, expect, pkg, raw, out, work))
        if command == "import" and out.exists() and out.is_dir():
            shutil.rmtree(out)
    return runs


def _run_command(case, command, expect, pkg, raw, out, work) -> Run:
    argv = corpus.command_line(case, command, pkg, raw, out)
    tmp = work / "tmp"
    tmp.mkdir(exist_ok=True)
    before_pkg, before_raw, before_model = snapshot(pkg), snapshot(raw), model_content(pkg)
    before_out = snapshot(out) if out.exists() else None
    if command == "atlas":
        rc, text, crashed, noise = _subprocess(argv, tmp)
    else:
        rc, text, crashed, noise = _in_process(argv, tmp)
    defects = []
    if noise:
        defects.append("noise")
    analysis_writes = command in corpus.ANALYSES and rc == 0
    if snapshot(raw) != before_raw or (not analysis_writes and snapshot(pkg) != before_pkg):
        defects.append("input-changed")
    elif analysis_writes and model_content(pkg) != before_model:
        defects.append("input-changed")  # an analysis adds its layers; the model's layers and rasters stay
    if before_out is not None and out.is_file() and snapshot(out) != before_out:
        defects.append("input-changed")
    left = [p.name for p in tmp.iterdir()]
    if pkg.is_dir():
        left += [p.name for p in pkg.iterdir() if p.name.startswith(".")]
    if out.is_dir():
        left += [str(p.relative_to(out)) for p in out.rglob(".*")]
        if command == "import" and rc != 0:
            left += [p.name for p in out.iterdir()]
    if left:
        defects.append("left-behind: " + ", ".join(sorted(left)[:3]))
    if rc == 0:
        defects += _unsafe_cells(pkg if command != "import" else out)
    outcome = _classify(case, command, expect, rc, text, crashed)
    shutil.rmtree(tmp, ignore_errors=True)
    return Run(case.name, case.family, command, rc, outcome, defects, text)


def _classify(case, command, expect, rc, text, crashed) -> str:
    if crashed:
        return TRACEBACK
    if rc == 0:
        if expect == "refuse":
            return WRONG0
        if expect == "warn" and not re.search(case.pattern, text, re.IGNORECASE):
            return WRONG0
        return OK
    if expect == "ok":
        return REFUSED_VALID
    if command == "check":
        lines = [ln for ln in text.splitlines() if ln.startswith("ERROR")] or \
                [ln for ln in text.splitlines() if ln.startswith("risk-one-map:")]
    else:
        lines = [ln for ln in text.splitlines() if ln.startswith("risk-one-map:")]
        if len(lines) != 1:
            return UNCLEAR
    where = "" if case.family == "arguments" else "file "  # a bad option names the option, not a file
    if not lines or not any(where in ln and all(n.lower() in ln.lower() for n in case.names) for ln in lines):
        return UNCLEAR
    return REFUSED


def _in_process(argv, tmp: Path):
    from risk_one_map import cli
    stream = io.StringIO()
    old_tmp = tempfile.tempdir
    tempfile.tempdir = str(tmp)
    crashed = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
                rc = cli.main(argv)
        except SystemExit as exc:  # argparse
            rc = exc.code if isinstance(exc.code, int) else 1
            if rc == 1:  # the parser's own refusal (cli._Parser: one line, exit 1)
                stream.write(f"risk-one-map: file (arguments): {stream.getvalue().strip().splitlines()[-1]}\n")
        except BaseException:  # noqa: B902 - the point is to see every escape
            crashed = True
            rc = None
            stream.write(traceback.format_exc())
        finally:
            tempfile.tempdir = old_tmp
    noise = [w for w in caught if issubclass(w.category, (RuntimeWarning, UserWarning))]
    return rc, stream.getvalue(), crashed, noise


def _subprocess(argv, tmp: Path):
    env = dict(os.environ, TMPDIR=str(tmp), QT_QPA_PLATFORM="offscreen", PYTHONWARNINGS="default")
    proc = subprocess.run([sys.executable, "-m", "risk_one_map", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    text = proc.stdout + proc.stderr
    crashed = "Traceback (most recent call last)" in text or proc.returncode not in (0, 1)
    noise = "Warning:" in proc.stderr
    return proc.returncode, text, crashed, noise


def _unsafe_cells(folder: Path) -> list:
    """A text cell of a written CSV that Excel or WPS would run as a formula, or that carries control characters."""
    bad = []
    if not folder.is_dir():
        return bad
    for path in folder.glob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    if _number(cell):
                        continue
                    if cell.startswith(DANGEROUS_FIRST) or re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", cell):
                        bad.append(f"unsafe-cell {path.name}: {cell[:30]!r}")
                        break
    return bad[:3]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def run_corpus(where: Path, full: bool = False, only: str = "", stream=None) -> list:
    base_pkg, base_raw = build_base(where)
    runs = []
    for i, case in enumerate(corpus.build_cases()):
        if only and only not in case.name and only != case.family:
            continue
        if case.slow and not full:
            continue
        for run in run_case(case, base_pkg, base_raw, where / f"case{i:03d}"):
            runs.append(run)
            if stream is not None:
                print(run.line(), file=stream, flush=True)
        shutil.rmtree(where / f"case{i:03d}", ignore_errors=True)
    return runs


def counts(runs) -> Counter:
    c = Counter(r.outcome for r in runs)
    for r in runs:
        for d in r.defects:
            c[d.split(":")[0]] += 1
    return c


def main(argv=None) -> int:
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--full", action="store_true")
    p.add_argument("--filter", default="")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as where:
        runs = run_corpus(Path(where), full=args.full, only=args.filter, stream=None if args.quiet else sys.stdout)
    cases = len({r.case for r in runs})
    print(f"{cases} cases, {len(runs)} runs: " + ", ".join(f"{k} {v}" for k, v in sorted(counts(runs).items())))
    for r in runs:
        if r.outcome not in GOOD or r.defects:
            print("  " + r.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
