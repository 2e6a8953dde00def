"""The built plugin zip, installed into a fresh profile, runs under the real qgis_process (scripts/qgis_process_smoke.sh)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.qgis_process
@pytest.mark.skipif(not (shutil.which("qgis_process.bin") or shutil.which("qgis_process")),
                    reason="qgis_process is not installed")
def test_qgis_process_runs_the_installed_plugin(tmp_path):
    res = subprocess.run(["bash", str(ROOT / "scripts" / "qgis_process_smoke.sh"), str(tmp_path)],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SMOKE OK" in res.stdout and (tmp_path / "county" / "exposure.csv").is_file()
