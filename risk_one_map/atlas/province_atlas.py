"""Village sheets on a Dask cluster: QGIS started once per worker, sheets spread over the workers.

A Dask worker runs its tasks in a thread of its own, and QGIS wants its application, layouts and PDF painting on
the main thread of a process; a worker process is also a daemon, which may not have multiprocessing children. So the
worker plugin ``QgisOncePerWorker`` starts one plain child process per worker (``python -m
risk_one_map.atlas.province_atlas``): it starts QGIS once and prints, on its main thread, whatever the worker's
tasks (``print_sheets``) send it, one request at a time, with ``export_village_sheets``, the function the atlas
command calls (so the sheets are those of a single-process run), keeping the sheet project of the county it
printed last for its next township (export.KeptRenderer). Requests and answers are JSON lines over the
child's standard input and a pipe of its own (whatever QGIS prints goes to standard error).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Optional

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the child process (serve) needs no Dask
    WorkerPlugin = object

PLUGIN_NAME = "risk-one-map-qgis"


class QgisOncePerWorker(WorkerPlugin):
    """A dask.distributed worker plugin: one QGIS process per worker, started with the worker, ended with it."""

    name = PLUGIN_NAME
    idempotent = True  # registered again by a rerun: the running QGIS is kept

    def __init__(self):
        self.process = None  # set on the worker (the plugin travels pickled, so nothing unpicklable before)

    def setup(self, worker=None):
        self.lock = threading.Lock()
        self.process = _start_server()

    def teardown(self, worker=None):
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            try:
                proc.stdin.close()
                proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()

    def print_sheets(self, package: str, out_dir: str, township: Optional[str]) -> dict:
        with self.lock:  # one request at a time: the server prints in its main thread
            if self.process is None or self.process.poll() is not None:
                self.process = _start_server()  # QGIS died (a crash on one county): a fresh one for the next
            request = json.dumps({"package": package, "out": out_dir, "township": township}, ensure_ascii=False)
            self.process.stdin.write(request + "\n")
            self.process.stdin.flush()
            answer = self.process.answers.readline()
        if not answer:
            code = self.process.wait()
            raise RuntimeError(f"QGIS stopped while printing {package} (exit code {code})")
        return json.loads(answer)


def _start_server():
    read_fd, write_fd = os.pipe()
    env = dict(os.environ, RISK_ONE_MAP_ANSWER_FD=str(write_fd))
    from .export import _python_executable
    proc = subprocess.Popen([_python_executable(), "-m", __name__], stdin=subprocess.PIPE, env=env,
                            pass_fds=(write_fd,), text=True, encoding="utf-8")
    os.close(write_fd)
    proc.answers = os.fdopen(read_fd, "r", encoding="utf-8")
    return proc


def print_sheets(package: str, out_dir: str, township: Optional[str] = None) -> list:
    """A Dask task: the village sheets of ``package`` (of one township, or all) into ``out_dir``; summary lines."""
    from distributed import get_worker
    from ..errors import RiskOneMapError
    plugin = get_worker().plugins.get(PLUGIN_NAME)
    if plugin is None:  # not registered (a bare scheduler): start one for this worker now, as setup would
        plugin = QgisOncePerWorker()
        get_worker().plugins[PLUGIN_NAME] = plugin
        plugin.setup()
    answer = plugin.print_sheets(package, out_dir, township)
    if "error" in answer:
        raise RiskOneMapError(answer["error"])
    return answer["lines"]


def serve() -> None:
    """The child: QGIS once, then one request a line until standard input closes."""
    answers = os.fdopen(int(os.environ.pop("RISK_ONE_MAP_ANSWER_FD")), "w", encoding="utf-8")
    os.dup2(2, 1)  # QGIS's and GDAL's prints go to standard error, never into the answers
    from ..errors import RiskOneMapError
    from ..qgis_glue.app import ensure_app
    from .export import KeptRenderer, export_village_sheets
    from .print_workers import cheap_qgis_start
    cheap_qgis_start()
    ensure_app()
    kept = KeptRenderer()  # a county's townships come one after another: its sheet project is loaded once
    for line in sys.stdin:
        request = json.loads(line)
        try:
            result = export_village_sheets(request["package"], request["out"], township=request["township"],
                                           workers=1, in_process=True, kept=kept)
            answer = {"lines": result.summary_lines(), "pid": os.getpid()}
        except RiskOneMapError as exc:
            answer = {"error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the county's failure, said in one line; the server goes on
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer, ensure_ascii=False) + "\n")
        answers.flush()
    import atexit
    atexit._run_exitfuncs()


if __name__ == "__main__":
    serve()
