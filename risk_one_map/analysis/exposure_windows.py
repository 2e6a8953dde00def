"""Exposure of one huge population raster split into windows, for many processes or machines, with the same answer.

The exact engine already walks the raster in column bands (windows), adding each band's sums to running totals
(analysis/exposure.py). Here the bands are computed apart, each by whoever is free (``window_sums``), and handed
back to ``compute_exposure(..., windows_done=...)``, which adds them in band order exactly as one process does:
the tables are the same to the last bit, not merely close. A window's sums are small (villages x levels), so
they travel cheaply; only the band's raster stripe is read where it is computed.
"""
from __future__ import annotations

from typing import Iterable

from ..progress import Steps
from .exposure import prepared


def count_windows(villages, zones, *, raster=None, households=None, source: str = "auto",
                  mode: str = "exact") -> int:
    """How many windows the exact engine walks for these inputs (1: nothing to split)."""
    if mode != "exact":
        return 1
    with prepared(villages, zones, raster, households, source, mode, Steps()) as prep:
        return len(prep.engine.bands()) if prep.source == "raster" else 1


def window_sums(villages, zones, windows: Iterable[int], *, raster=None, households=None, source: str = "auto",
                mode: str = "exact") -> dict:
    """{window index: its sums} for the given windows (give them all back to ``compute_exposure``)."""
    with prepared(villages, zones, raster, households, source, mode, Steps()) as prep:
        return {int(w): prep.engine.band_sums(int(w)) for w in windows}
