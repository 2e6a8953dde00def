"""Exposure of one huge population raster split into windows, for many processes or machines, with the same answer.

The exact engine already walks the raster in column bands (windows), adding each band's sums to running totals
(analysis/exposure.py). Here the bands are computed apart, each by whoever is free (``window_sums``), and handed
back to ``exposure_of(prep, windows_done=...)``, which adds them in band order exactly as one process does:
the tables are the same to the last bit, not merely close. A window's sums are small (villages x levels), so
they travel cheaply; only the band's raster stripe is read where it is computed. Both take a preparation
(``exposure.prepared``): a worker that serves several windows of one county prepares it once.
"""
from __future__ import annotations

from typing import Iterable

from ..progress import Steps
from .exposure import prepared


def windows_of(prep) -> int:
    """How many windows the exact engine walks for this preparation (1: nothing to split)."""
    if prep.engine.mode != "exact" or prep.source != "raster":
        return 1
    return len(prep.engine.bands())


def count_windows(villages, zones, *, raster=None, households=None, source: str = "auto",
                  mode: str = "exact") -> int:
    """``windows_of`` from the layers themselves."""
    with prepared(villages, zones, raster, households, source, mode, Steps()) as prep:
        return windows_of(prep)


def window_sums(prep, windows: Iterable[int]) -> dict:
    """{window index: its sums} for the given windows (give them all back to ``exposure_of``)."""
    return {int(w): prep.engine.band_sums(int(w)) for w in windows}
