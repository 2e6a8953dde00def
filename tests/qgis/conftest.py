"""Headless QGIS for tests/qgis: ONE QgsApplication for the session (offscreen, its own settings folder) with
Processing initialised. Without PyQGIS the whole folder is skipped, with the reason."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
try:
    import qgis.core  # noqa: F401
except ImportError as exc:  # pragma: no cover (machines without QGIS)
    pytest.skip(f"PyQGIS is not importable ({exc}); install QGIS (Debian: python3-qgis) or run scripts/setup.sh",
                allow_module_level=True)


@pytest.fixture(scope="session", autouse=True)
def qgis_app(tmp_path_factory):
    """The session's QgsApplication (settings in a temporary folder) and the Processing framework."""
    from qgis.core import QgsApplication
    from risk_one_map.qgis_glue.app import ensure_app
    app = ensure_app(settings_dir=str(tmp_path_factory.mktemp("qgis-settings")))
    from qgis.core import QgsSettings
    QgsSettings().setValue("locale/userLocale", "zh_CN")  # the plugin's first language; tests switch to en_US
    plugins = Path(QgsApplication.pkgDataPath()) / "python" / "plugins"
    if plugins.is_dir() and str(plugins) not in sys.path:
        sys.path.append(str(plugins))
    from processing.core.Processing import Processing
    Processing.initialize()
    yield app


def pytest_configure(config):
    config.addinivalue_line("markers", "qgis_process: runs the real qgis_process on the built plugin zip (CI runs it)")


@pytest.fixture(scope="session")
def tiny_package(tmp_path_factory):
    """The hand-made package of tiny_package.py: an analysis layer, four-level labels, an unknown hazard type."""
    from .tiny_package import build_tiny_package
    return build_tiny_package(tmp_path_factory.mktemp("tiny") / "pkg")


from .stub_iface import StubIface  # noqa: E402 (a module of its own: child processes without pytest use it)


@pytest.fixture
def iface():
    return StubIface()


@pytest.fixture(scope="module")
def provider():
    """The plugin's Processing provider, registered as qgis_process does it (initProcessing, no iface)."""
    import risk_one_map
    from qgis.core import QgsApplication
    plugin = risk_one_map.classFactory(None)
    plugin.initProcessing()
    yield QgsApplication.processingRegistry().providerById("riskonemap")
    plugin.unload()
