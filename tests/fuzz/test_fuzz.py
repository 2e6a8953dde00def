"""The fuzz suite (issue #14): broken inputs through every command that applies, and runs killed at several moments.

Default (``make test``): the corpus's size and families, a sample of two cases per family run in-process, and the
kill tests. ``RISK_ONE_MAP_FUZZ=full``: every case (200, with the atlas ones in a subprocess each).
``python -m tests.fuzz.runner [--full]`` prints the counts per outcome class.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from . import corpus, runner

FULL = os.environ.get("RISK_ONE_MAP_FUZZ", "").lower() == "full"
ROOT = Path(__file__).resolve().parents[2]


def test_the_corpus_has_200_broken_inputs_across_the_issues_families():
    cases = corpus.build_cases()
    families = Counter(c.family for c in cases)
    assert len(cases) >= 200 and len({c.name for c in cases}) == len(cases)
    assert {"numbers", "geometry", "outside", "codes", "injection", "files", "crs", "rasters", "arguments",
            "import", "atlas"} <= set(families)
    assert sum(len(c.expect) for c in cases) >= 600  # runs: each case through every command that applies


def _sample(cases):
    """Two cases per family (the first and the middle one), the atlas's only in the full mode."""
    if FULL:
        return cases
    by_family = {}
    for c in cases:
        by_family.setdefault(c.family, []).append(c)
    picked = []
    for family, items in by_family.items():
        if family == "atlas":
            continue
        picked += [items[0]] + ([items[len(items) // 2]] if len(items) > 2 else [])
    return picked


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return runner.build_base(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("case", _sample(corpus.build_cases()), ids=lambda c: c.name)
def test_a_broken_input_gets_a_correct_result_or_one_line(case, base, tmp_path):
    runs = runner.run_case(case, *base, tmp_path / "case")
    bad = [r.line() for r in runs if r.outcome not in runner.GOOD or r.defects]
    assert not bad, "\n".join(bad)


# --------------------------------------------------------------------------------------------------
# Kill tests: a real process, killed
# --------------------------------------------------------------------------------------------------
def _env(tmp: Path) -> dict:
    tmp.mkdir(exist_ok=True)
    return dict(os.environ, TMPDIR=str(tmp), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a shell's background job would inherit SIGINT ignored


def _start(args, tmp: Path, **env):
    return subprocess.Popen([sys.executable, "-m", "risk_one_map", *map(str, args)], cwd=ROOT,
                            env=dict(_env(tmp), **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)


def _hidden(folder: Path) -> list:
    return sorted(p.name for p in folder.rglob(".*"))


def _layers(pkg: Path) -> set:
    import pyogrio
    return {name for name, _ in pyogrio.list_layers(pkg / "onemap.gpkg")}


@pytest.fixture()
def county(base, tmp_path):
    return Path(shutil.copytree(base[0], tmp_path / "county"))


@pytest.mark.parametrize("after_s", [0.3, 1.5, 3.0])
def test_exposure_killed_at_any_moment_leaves_the_package_whole_and_a_rerun_cleans_up(county, tmp_path, after_s):
    tmp = tmp_path / "tmp"
    proc = _start(["exposure", county, "--no-charts"], tmp)
    time.sleep(after_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    from risk_one_map.layers.check import check_package
    assert not check_package(county).errors  # whatever the moment: the old package, or the new one, whole
    rerun = _start(["exposure", county, "--no-charts"], tmp)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert _hidden(county) == [] and "exposure" in _layers(county)
    assert [p.name for p in tmp.iterdir()] == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_evacuation_says_so_and_leaves_nothing(county, tmp_path, sig):
    tmp = tmp_path / "tmp"
    before = runner.snapshot(county)
    proc = _start(["evacuate", county], tmp)
    time.sleep(2.0)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # finished before the signal came: a whole result is also right
        return
    if proc.returncode != -sig:  # (killed while Python was still starting, before the command ran: nothing to say)
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    after = runner.snapshot(county)
    # before the outputs were moved into place: none of them; while or after: all of them (never new layers
    # beside no CSV)
    whole = {"shelter_load.csv", "unserved.csv"} <= set(after) and after["onemap.gpkg"] != before["onemap.gpkg"]
    assert after == before or whole, err
    assert _hidden(county) == []
    assert [p.name for p in tmp.iterdir()] == []


def test_two_runs_at_once_both_finish_and_leave_one_whole_package(county, tmp_path):
    a = _start(["exposure", county, "--no-charts"], tmp_path / "ta")
    b = _start(["evacuate", county], tmp_path / "tb")
    for p in (a, b):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    from risk_one_map.layers.check import check_package
    assert not check_package(county).errors and _hidden(county) == []
    # one wrote its layers over the other's copy: each run's layers are whole, the last writer's are there
    assert {"exposure"} <= _layers(county) or {"evacuees"} <= _layers(county)


def test_a_rerun_removes_what_killed_runs_left_but_not_a_running_ones(county, tmp_path):
    from risk_one_map.leftovers import sweep
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = [county / f".onemap.{dead.pid}.abcd1234.gpkg", county / f".exposure.{dead.pid}.x1y2z3w4",
            county / f".东一村_130.{dead.pid}.tmp.pdf"]
    mine = county / f".onemap.{os.getpid()}.abcd1234.gpkg"
    left[1].mkdir()
    for p in (left[0], left[2], mine):
        p.write_bytes(b"")
    user = county / ".my.notes"
    user.write_text("mine", encoding="utf-8")
    sweep(county)
    assert not any(p.exists() for p in left) and mine.exists() and user.exists()


def _children(pid: int) -> list:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")
def test_atlas_workers_die_with_their_killed_parent(county, tmp_path):
    pytest.importorskip("qgis.core")
    # 2 processes for the 8 sheets (the atlas prints in the command's process and one worker)
    proc = _start(["atlas", county, "--out", tmp_path / "sheets", "--workers", "2", "--force"], tmp_path / "tmp",
                  RISK_ONE_MAP_PAGES_PER_PROCESS="1")
    deadline = time.monotonic() + 120
    workers = []
    while time.monotonic() < deadline and not workers:
        time.sleep(0.5)
        workers = [c for c in _children(proc.pid) if Path(f"/proc/{c}/cmdline").is_file()]
        workers = [c for c in workers if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
    assert len(workers) == 1, "the atlas did not start its worker"
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 3  # printing the 8 sheets takes the workers far longer than this
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_atlas_interrupted_says_how_many_sheets_it_kept(county, tmp_path):
    pytest.importorskip("qgis.core")
    out = tmp_path / "sheets"
    proc = _start(["atlas", county, "--out", out, "--force"], tmp_path / "tmp")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.rglob("*.pdf")) and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    pdfs = [p for p in out.rglob("*.pdf") if not p.name.startswith(".")]
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert f"interrupted: {len(pdfs)} of " in err and "kept" in err, err
    assert _hidden(out) == []
