"""installer: what pip is asked for, what is kept as QGIS has it, and a plugin folder that only ever changes whole."""
from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

import pytest

from risk_one_map import deps, installer
from tests.local_wheels import repack


def _plan(tmp_path, **kw):
    return installer.Plan("python3", tmp_path / "deps" / installer.folder_tag(), ["pandas>=2,<2.3"],
                          {"numpy": "1.24.2", "pyproj": "3.4.1"}, **kw)


def test_offline_install_reads_only_the_wheel_folder_and_pins_what_qgis_keeps(tmp_path):
    plan = _plan(tmp_path, wheels=tmp_path / "wheels")
    args = plan.resolve_args()
    assert args[:2] == ["python3", str(installer.PIP_RUNNER)] and "--dry-run" in args and "--report" in args
    assert args[args.index("--find-links") + 1] == str(tmp_path / "wheels")
    assert {"--no-index", "--isolated"} <= set(args)  # no pip.conf of that PC may point elsewhere
    assert plan.constraints.read_text() == "numpy==1.24.2\npyproj==3.4.1\naffine<3\n"
    assert plan.work.parent == plan.target.parent  # scratch beside the folder: the merge is a rename
    install = plan.install_args(["pandas==2.2.3"])
    assert install[install.index("--target") + 1] == str(plan.staging) and "--no-deps" in install
    online = _plan(tmp_path).resolve_args()
    assert "--no-index" not in online and "--isolated" not in online  # a mirror in pip.conf is respected


def test_the_report_gives_what_to_install_without_numpy_or_qgis_s_pyproj(tmp_path):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"install": [{"metadata": {"name": n, "version": v}} for n, v in (
        ("pandas", "2.2.3"), ("numpy", "1.24.2"), ("PyProj", "3.4.1"), ("tzdata", "2025.1"))]}))
    assert installer.to_install(report, {"numpy": "1.24.2", "pyproj": "3.4.1"}) == ["pandas==2.2.3",
                                                                                       "tzdata==2025.1"]


def test_numpy_is_always_kept_and_a_pypi_pyproj_is_not_protected(monkeypatch):
    kept = installer.kept_versions()
    assert kept["numpy"] == __import__("numpy").__version__
    monkeypatch.setattr(deps, "bundled_libs", lambda module: Path("/x") if module == "pyproj" else None)
    assert "pyproj" not in installer.kept_versions()
    monkeypatch.setattr(deps, "bundled_libs", lambda module: None)  # as Debian's python3-pyproj
    assert installer.kept_versions()["pyproj"] == deps._installed_version("pyproj")


def _tree(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def _folders(tmp_path):
    target, staging = tmp_path / "deps" / "py", tmp_path / "staging"
    for root, files in ((target, {"shapely/__init__.py": "old", "shapely-2.0.0.dist-info/RECORD": "old",
                                  "affine/__init__.py": "keep"}),
                        (staging, {"shapely/__init__.py": "new", "shapely-2.1.2.dist-info/RECORD": "new",
                                   "pandas/__init__.py": "new", "bin/f2py": "script"})):
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
    return target, staging


def test_merge_replaces_packages_and_their_old_metadata(tmp_path):
    target, staging = _folders(tmp_path)
    installer.merge(staging, target)
    assert _tree(target) == {"affine/__init__.py": "keep", "pandas/__init__.py": "new",
                             "shapely-2.1.2.dist-info/RECORD": "new", "shapely/__init__.py": "new"}


def test_a_merge_that_fails_half_way_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    target, staging = _folders(tmp_path)
    before = _tree(target)
    real, calls = Path.rename, []

    def flaky(self, dest):
        calls.append(self)
        if len(calls) == 4:  # after the old entries went out and one new one came in (Windows: a file in use)
            raise PermissionError("in use")
        return real(self, dest)

    monkeypatch.setattr(Path, "rename", flaky)
    with pytest.raises(PermissionError):
        installer.merge(staging, target)
    monkeypatch.setattr(Path, "rename", real)
    assert _tree(target) == before and (staging / "pandas" / "__init__.py").is_file()


def test_activate_finishes_a_pending_install_puts_the_folder_first_and_drops_leftovers(tmp_path, monkeypatch):
    folder = tmp_path / "risk_one_map_deps" / installer.folder_tag()
    pending = folder.with_name(folder.name + installer.PENDING_SUFFIX)
    (pending / "tinypkg_xyz").mkdir(parents=True)
    (pending / "tinypkg_xyz" / "__init__.py").write_text("VALUE = 7\n")
    (folder.parent / (installer.STAGING_PREFIX + "killed")).mkdir()
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert installer.activate(folder) and sys.path[0] == str(folder)
    assert not pending.exists() and [p.name for p in folder.parent.iterdir()] == [folder.name]
    assert __import__("tinypkg_xyz").VALUE == 7
    sys.modules.pop("tinypkg_xyz")


def test_packages_dir_is_per_python_and_platform_inside_the_profile(tmp_path):
    tag = installer.folder_tag()
    assert installer.packages_dir(tmp_path) == tmp_path / "python" / "risk_one_map_deps" / tag
    assert tag.startswith(f"py{sys.version_info[0]}{sys.version_info[1]}-")


def test_pip_runs_from_the_wheel_folder_when_qgis_s_python_has_no_pip(tmp_path):
    """Debian's qgis does not pull in python3-pip: pip_runner then runs pip out of the folder's pip wheel."""
    venv_site = [p for p in site.getsitepackages() if p.startswith(sys.prefix)][:1]
    wheel = repack("pip", tmp_path, venv_site)
    # -S: no site-packages at all, so no pip (the stdlib is all there is)
    res = subprocess.run([sys.executable, "-S", str(installer.PIP_RUNNER), "--wheels", str(tmp_path), "--",
                          "--version"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("pip ") and str(wheel) in res.stdout


def test_the_optional_packages_grey_nothing_and_pandas_is_required():
    assert {r.module for r in deps.OPTIONAL} == {"ortools", "openpyxl", "defusedxml", "numba"}
    assert not {r.module for r in deps.OPTIONAL} & {m for needs in deps.FEATURES.values() for m in needs}
    assert "pandas" in deps.BY_MODULE and all("pandas" in deps.FEATURES[f] for f in ("analysis", "atlas", "check"))
    assert installer.requirement_specs(["pandas"]) == ["pandas>=2,<2.3"]


def test_qgis_s_own_python_is_found_even_when_sys_executable_is_another_python(monkeypatch):
    """QGIS Desktop on Debian sets sys.executable to the first python3 on PATH (here it was a pyenv shim, whose
    Python had other packages: pip then skipped click, and rasterio failed to import inside QGIS)."""
    assert installer.python_executable() == sys.executable  # a venv (or plain python): itself
    monkeypatch.setattr(sys, "executable", "/root/.pyenv/shims/python3")
    found = Path(installer.python_executable())
    assert found.parent == Path(sys.exec_prefix) / "bin" and found.name.startswith("python")
    monkeypatch.setattr(sys, "executable", "/usr/bin/qgis.bin")
    assert Path(installer.python_executable()) == found


def _wheelhouse_script():
    import importlib.util
    path = Path(__file__).resolve().parents[2] / "scripts" / "build_wheelhouse.py"
    spec = importlib.util.spec_from_file_location("build_wheelhouse", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_make_wheelhouse_fetches_binary_wheels_per_qgis_python_without_numpy(tmp_path, monkeypatch):
    script = _wheelhouse_script()
    win = script.download_args(script.TARGETS["win-py312"], tmp_path, tmp_path / "c.txt", optional=False)
    assert "--only-binary=:all:" in win and win[win.index("--platform") + 1] == "win_amd64"
    assert win[win.index("--python-version") + 1] == "3.12"
    assert "pandas>=2,<2.3" in win and win[-1] == "pip" and not [a for a in win if a.startswith("ortools")]
    seen = {}

    def fake_run(args, check):  # what pip download would leave: the wheels, numpy among them
        seen[args[args.index("--python-version") + 1]] = Path(args[args.index("-c") + 1]).read_text()
        for name in ("numpy-1.26.4-cp312-cp312-win_amd64.whl", "pandas-2.2.3-cp312-cp312-win_amd64.whl"):
            (tmp_path / "out" / name).write_bytes(b"")

    monkeypatch.setattr(script.subprocess, "run", fake_run)
    wheels = script.build(tmp_path / "out", ["win-py312", "linux-py311"])
    assert [w.name for w in wheels] == ["pandas-2.2.3-cp312-cp312-win_amd64.whl"]
    assert seen == {"3.12": "affine<3\n", "3.11": "geopandas<1.1\naffine<3\n"}  # Debian 12 keeps pyproj 3.4.1
    assert "安装所需组件" in (tmp_path / "out" / "README.txt").read_text(encoding="utf-8")
    assert not list((tmp_path / "out").glob(".constraints-*"))


def test_a_restart_is_asked_for_when_an_installed_package_was_loaded_already(monkeypatch):
    monkeypatch.setitem(sys.modules, "click_plugins", object())
    assert installer.needs_restart(["pandas_not_loaded_xyz==1", "click-plugins==1.1.1.2"]) == ["click_plugins"]


def test_the_folder_s_geo_wheels_are_loaded_the_safe_way_only_when_it_holds_some(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(deps, "native_imports", lambda: calls.append(1) or ["shapely"])
    (tmp_path / "pandas").mkdir()
    assert installer.load_native(tmp_path) == [] and not calls  # pure-Python packages only: nothing to load
    (tmp_path / "ortools").mkdir()  # OR-Tools' own protobuf against QGIS's: deps.NATIVE_SOLVERS
    assert installer.load_native(tmp_path) == ["shapely"] and calls == [1]
