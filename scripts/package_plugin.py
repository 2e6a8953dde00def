#!/usr/bin/env python3
"""Build dist/risk_one_map-<version>.zip, the file QGIS's plugin manager installs ("Install from ZIP").

The zip holds one folder, risk_one_map/, with the package code, its resources, metadata.txt copied in from the
top level, LICENSE/README if present, and compiled translations (.qm: Qt's lrelease when on the PATH, else the
pure-Python writer risk_one_map.i18n.compile_ts); no tests,
caches or build leftovers. Pure Python (no QGIS needed); refuses to build when metadata.txt's version differs
from risk_one_map.__version__.

    python scripts/package_plugin.py [--out dist]
"""
from __future__ import annotations

import argparse
import configparser
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "risk_one_map"
EXCLUDE_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", "tests"}
EXCLUDE_SUFFIXES = {".pyc", ".pyo", ".orig", ".rej", ".swp"}
TOP_LEVEL_EXTRAS = ("LICENSE", "README.md", "CHANGELOG.md")


def read_metadata(path: Path = ROOT / "metadata.txt") -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser


def package_version() -> str:
    text = (ROOT / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.M)
    if not match:
        raise SystemExit(f"no __version__ in {PACKAGE}/__init__.py")
    return match.group(1)


def _included(path: Path) -> bool:
    rel = path.relative_to(ROOT / PACKAGE)
    if any(part in EXCLUDE_DIRS or part.startswith(".") for part in rel.parts):
        return False
    return path.is_file() and path.suffix not in EXCLUDE_SUFFIXES


def compile_translations(staging: Path) -> list:
    """risk_one_map/resources/i18n/*.ts -> .qm in ``staging``: lrelease (qttools5-dev-tools) when installed, else
    the pure-Python writer (same file format; tests/qgis/test_ui.py loads its output with QTranslator)."""
    tool = shutil.which("lrelease") or shutil.which("lrelease-qt5")
    ts_files = sorted((ROOT / PACKAGE / "resources" / "i18n").glob("*.ts"))
    out = []
    for ts in ts_files:
        qm = staging / ts.with_suffix(".qm").name
        if tool:
            subprocess.run([tool, "-silent", str(ts), "-qm", str(qm)], check=True)
        else:
            sys.path.insert(0, str(ROOT))
            from risk_one_map.i18n import compile_ts
            compile_ts(ts, qm)
        out.append(qm)
    return out


def build(out_dir: Path = ROOT / "dist") -> Path:
    meta = read_metadata()
    version = meta.get("general", "version", fallback=None)
    if version != package_version():
        raise SystemExit(f"metadata.txt version {version!r} differs from {PACKAGE}.__version__ "
                         f"{package_version()!r}: make them equal")
    for key in ("name", "qgisMinimumVersion", "description", "about", "author", "email", "repository"):
        if not meta.get("general", key, fallback="").strip():
            raise SystemExit(f"metadata.txt: {key} is empty (the plugin repository requires it)")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{PACKAGE}-{version}.zip"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".zip", dir=out_dir)
    tmp = Path(tmp_name)
    try:
        with tempfile.TemporaryDirectory() as staging_dir, \
                zipfile.ZipFile(open(fd, "wb", closefd=True), "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted((ROOT / PACKAGE).rglob("*")):
                if _included(path):
                    zf.write(path, f"{PACKAGE}/{path.relative_to(ROOT / PACKAGE).as_posix()}")
            zf.write(ROOT / "metadata.txt", f"{PACKAGE}/metadata.txt")
            for name in TOP_LEVEL_EXTRAS:
                if (ROOT / name).is_file():
                    zf.write(ROOT / name, f"{PACKAGE}/{name}")
            for qm in compile_translations(Path(staging_dir)):
                zf.write(qm, f"{PACKAGE}/resources/i18n/{qm.name}")
        tmp.replace(target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Build the QGIS plugin zip.")
    p.add_argument("--out", default=str(ROOT / "dist"), help="output folder (default: dist/)")
    args = p.parse_args(argv)
    target = build(Path(args.out))
    with zipfile.ZipFile(target) as zf:
        count = len(zf.namelist())
    print(f"{target} ({count} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
