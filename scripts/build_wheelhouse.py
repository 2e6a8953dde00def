#!/usr/bin/env python3
"""Build the offline component folder for 安装所需组件 on PCs without internet (county government intranets).

On a PC with internet (any OS; wheels for the other platforms are fetched with pip's --platform):

    python scripts/build_wheelhouse.py [--out wheelhouse] [--target win-py312 --target linux-py311 ...] [--optional]
    make wheelhouse

Then copy the folder (a USB stick will do) to the intranet PC and, in QGIS: 插件 → 风险隐患一张图 → 安装所需组件… →
从本地文件夹安装 → 选择 this folder → 安装. One flat folder serves every target: pip picks the wheels of the Python and
platform it runs on.

Targets: the Pythons QGIS ships. Windows QGIS 3.34+ (OSGeo4W and the standalone installer): Python 3.12;
Debian 12 (QGIS 3.22): 3.11; Debian 13 / Ubuntu 24.04+: 3.13 (Ubuntu's 3.12 is win's twin on Linux: add
linux-py312). numpy is left out (QGIS's own numpy is always kept); pip's own wheel is put in (Debian's qgis does not
pull in python3-pip). Debian 12 keeps its python3-pyproj 3.4.1, which geopandas 1.1 refuses: that target gets
geopandas < 1.1. Nothing here is committed: wheels are build output.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from risk_one_map import deps, installer  # noqa: E402  (the requirement specs and caps, one place)


@dataclass(frozen=True)
class Target:
    name: str
    python: str  # "3.12"
    platforms: tuple  # pip --platform tags, most specific first
    constraints: tuple = ()  # extra pins for what that QGIS keeps


MANYLINUX = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
TARGETS = {
    "win-py312": Target("win-py312", "3.12", ("win_amd64",)),
    "linux-py311": Target("linux-py311", "3.11", MANYLINUX, ("geopandas<1.1",)),  # Debian 12: pyproj 3.4.1
    "linux-py312": Target("linux-py312", "3.12", MANYLINUX),
    "linux-py313": Target("linux-py313", "3.13", MANYLINUX),
}
DEFAULT_TARGETS = ("win-py312", "linux-py311", "linux-py313")
LEFT_OUT = ("numpy",)  # QGIS's own numpy is never replaced (its GDAL bindings are built against it)
README = """风险隐患一张图 · 离线组件文件夹 (offline component folder)

在 QGIS 中：插件 → 风险隐患一张图 → 安装所需组件… → 从本地文件夹安装 → 选择本文件夹 → 安装。
In QGIS: Plugins → 风险隐患一张图 → 安装所需组件… (Install required components) → install from a local folder →
choose this folder → Install.

Targets: {targets}. Built by scripts/build_wheelhouse.py (make wheelhouse).
"""


def specs(optional: bool) -> list:
    reqs = list(deps.REQUIREMENTS) + (list(deps.OPTIONAL) if optional else [])
    return [r.pip for r in reqs]


def download_args(target: Target, out: Path, constraints: Path, optional: bool) -> list:
    """``pip download`` of every wheel ``target`` needs (binary only, as the intranet PC cannot build)."""
    args = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--dest", str(out),
            "--python-version", target.python, "--implementation", "cp", "--disable-pip-version-check"]
    for platform in target.platforms:
        args += ["--platform", platform]
    return args + ["-c", str(constraints)] + specs(optional) + ["pip"]


def build(out: Path, targets, optional: bool = False) -> list:
    out.mkdir(parents=True, exist_ok=True)
    for name in targets:
        target = TARGETS[name]
        constraints = out / f".constraints-{name}.txt"
        constraints.write_text("".join(f"{c}\n" for c in target.constraints + installer.CAPS), encoding="utf-8")
        print(f"wheelhouse: {name} (Python {target.python}, {target.platforms[0]})", flush=True)
        try:
            subprocess.run(download_args(target, out, constraints, optional), check=True)
        finally:
            constraints.unlink()
    for left_out in LEFT_OUT:
        for wheel in out.glob(f"{left_out}-*.whl"):
            wheel.unlink()
    (out / "README.txt").write_text(README.format(targets=", ".join(targets)), encoding="utf-8")
    return sorted(out.glob("*.whl"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Download the wheels 安装所需组件 installs, for PCs without internet.")
    p.add_argument("--out", default=str(ROOT / "wheelhouse"), help="output folder (default: wheelhouse/)")
    p.add_argument("--target", action="append", choices=sorted(TARGETS),
                   help=f"repeatable; default: {' '.join(DEFAULT_TARGETS)}")
    p.add_argument("--optional", action="store_true", help="also the optional components (OR-Tools, openpyxl, defusedxml, numba)")
    args = p.parse_args(argv)
    wheels = build(Path(args.out), args.target or DEFAULT_TARGETS, args.optional)
    size = sum(w.stat().st_size for w in wheels) / 1e6
    print(f"{args.out}: {len(wheels)} wheels, {size:.0f} MB. On the intranet PC: 插件 → 风险隐患一张图 → "
          f"安装所需组件… → 从本地文件夹安装 → choose this folder.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
