"""Run pip with this Python, even one without pip: ``python pip_runner.py [--wheels DIR] [--cache DIR] -- <pip args>``.

Debian's qgis does not depend on python3-pip, so a stock QGIS's Python may have no pip. Then pip runs from its own
wheel (a wheel is a zip pip can run from): the pip wheel in the offline folder ``--wheels``, else pip's wheel
downloaded once from PyPI into ``--cache`` (PyPI's JSON API: reachable where pip itself would be). Standalone on purpose (no risk_one_map import): it is
started by file path with QGIS's interpreter.
"""
from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

PIP_JSON = "https://pypi.org/pypi/pip/json"


def _has_pip() -> bool:
    import importlib.util
    try:
        return importlib.util.find_spec("pip") is not None
    except (ImportError, ValueError):
        return False


def find_pip(wheels, cache) -> str:
    """A path to put on sys.path that holds pip, or "" when this Python has its own."""
    if _has_pip():
        return ""
    if wheels:
        found = sorted(Path(wheels).glob("pip-*.whl"))
        if found:
            return str(found[-1])
    if cache:
        found = sorted(Path(cache).glob("pip-*.whl"))
        return str(found[-1] if found else download_pip(Path(cache)))
    raise SystemExit("no pip: put a pip-*.whl into the wheel folder")


def download_pip(cache: Path) -> Path:
    """The newest pip wheel from PyPI, into ``cache``."""
    import json
    import urllib.parse
    import urllib.request
    print(f"downloading pip from {PIP_JSON}", flush=True)
    with urllib.request.urlopen(PIP_JSON, timeout=60) as r:
        files = json.load(r)["urls"]
    wheel = next(f for f in files if f["filename"].endswith("-py3-none-any.whl"))
    cache.mkdir(parents=True, exist_ok=True)
    target, part = cache / wheel["filename"], cache / (wheel["filename"] + ".part")
    with urllib.request.urlopen(urllib.parse.urljoin(PIP_JSON, wheel["url"]), timeout=300) as r, \
            open(part, "wb") as out:
        out.write(r.read())
    part.replace(target)
    return target


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    rest = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser()
    p.add_argument("--wheels", default="")
    p.add_argument("--cache", default="")
    args = p.parse_args(own)
    where = find_pip(args.wheels, args.cache)
    if where:
        sys.path.insert(0, where)
    sys.argv = ["pip"] + rest
    runpy.run_module("pip", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
