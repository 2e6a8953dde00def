"""Wheels made offline from the distributions installed in this venv: a local wheel folder for the installer
tests (the same files pip installed here, zipped back with a fresh RECORD), so no test needs the internet."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import zipfile
from importlib import metadata
from pathlib import Path


def _dist(name: str, path: list):
    for dist in metadata.distributions(path=path):
        if _norm(dist.metadata["Name"]) == _norm(name):
            return dist
    return None


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def repack(name: str, out_dir: Path, path: list) -> Path:
    """``<name>-<version>-<tag>.whl`` in ``out_dir`` from the installed distribution found on ``path``."""
    dist = _dist(name, path)
    if dist is None or not dist.files:
        raise LookupError(f"{name} is not installed with a RECORD on {path}")
    tags = [line.split(":", 1)[1].strip() for line in dist.read_text("WHEEL").splitlines()
            if line.startswith("Tag:")]
    tag = next((t for t in tags if t.startswith(("py3", "cp3"))), tags[0])  # "py2.py3" wheels list py2 first
    stem = f"{re.sub(r'[-.]+', '_', dist.metadata['Name'])}-{dist.version}"
    target = Path(out_dir) / f"{stem}-{tag}.whl"
    info = next(f for f in dist.files if f.parts[0].endswith(".dist-info")).parts[0]
    rows = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        for f in dist.files:
            if f.parts[0] == ".." or "__pycache__" in f.parts or f.name in ("RECORD", "INSTALLER", "REQUESTED",
                                                                                 "direct_url.json"):
                continue
            src = Path(f.locate())
            if not src.is_file():
                continue
            data = src.read_bytes()
            zf.writestr(f.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append((f.as_posix(), f"sha256={digest}", str(len(data))))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows + [(f"{info}/RECORD", "", "")])
        zf.writestr(f"{info}/RECORD", buf.getvalue())
    return target


def closure(names, path: list) -> list:
    """``names`` and every distribution they require (markers for this Python), as installed on ``path``."""
    from packaging.requirements import Requirement
    seen, todo = [], list(names)
    while todo:
        name = todo.pop()
        dist = _dist(name, path)
        if dist is None or _norm(name) in seen:
            continue
        seen.append(_norm(name))
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen
