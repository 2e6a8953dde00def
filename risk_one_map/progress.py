"""Progress and cancellation as plain callables, so the pure core never sees QgsFeedback or a terminal.

``progress(fraction)`` takes 0..1; ``cancelled()`` returns True once the user asked to stop. Adapters wire
them to QgsFeedback (Processing, tasks) or to a progress bar (CLI).
"""
from __future__ import annotations

import sys
import time
from typing import Callable, Optional

from .errors import Cancelled

ProgressFn = Callable[[float], None]
CancelledFn = Callable[[], bool]


def _no_progress(fraction: float) -> None:
    return None


def _never() -> bool:
    return False


class Steps:
    """Split one progress range into weighted steps; raise Cancelled between (and inside) them.

    >>> steps = Steps(progress, cancelled, weights=[1, 3])
    >>> steps.next()            # entering step 0
    >>> steps.sub(0.5)          # half-way through the current step
    """

    def __init__(self, progress: Optional[ProgressFn] = None, cancelled: Optional[CancelledFn] = None,
                 weights=(1,)):
        self._progress = progress or _no_progress
        self._cancelled = cancelled or _never
        total = float(sum(weights)) or 1.0
        self._starts, acc = [], 0.0
        for w in weights:
            self._starts.append(acc / total)
            acc += w
        self._starts.append(1.0)
        self._index = -1

    def check(self) -> None:
        if self._cancelled():
            raise Cancelled()

    def next(self) -> None:
        self.check()
        self._index = min(self._index + 1, len(self._starts) - 2)
        self._progress(self._starts[self._index])

    def sub(self, fraction: float) -> None:
        """Report ``fraction`` (0..1) of the current step and check for cancellation."""
        self.check()
        i = max(self._index, 0)
        a, b = self._starts[i], self._starts[i + 1]
        self._progress(a + (b - a) * min(max(fraction, 0.0), 1.0))

    def done(self) -> None:
        self._progress(1.0)

    @property
    def cancelled(self) -> CancelledFn:
        return self._cancelled


class ProgressBar:
    """A one-line progress bar on stderr, shown only for work longer than a second and only on a terminal."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.shown = False
        self.last = -1

    def __call__(self, fraction: float) -> None:
        elapsed = time.monotonic() - self.start
        if elapsed < 1.0 and not self.shown:
            return
        pct = int(max(0.0, min(1.0, fraction)) * 100)
        if pct == self.last:
            return
        self.last, self.shown = pct, True
        width = 30
        filled = width * pct // 100
        line = f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {pct:3d}% {elapsed:5.1f}s"
        if self.stream.isatty():
            self.stream.write(line)
            self.stream.flush()
        elif pct in (0, 25, 50, 75, 100) or pct - self.last >= 25:
            self.stream.write(line.strip("\r") + "\n")

    def close(self) -> None:
        if self.shown and self.stream.isatty():
            self.stream.write("\n")
            self.stream.flush()
