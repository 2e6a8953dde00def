"""The one writer of every CSV the tool writes (exposure.csv, shelter_load.csv, unserved.csv, import_report.csv).

Township staff open these in Excel or WPS, which run a cell that starts with = + - @ (and, by some readers, a
tab or carriage return) as a formula: a village named ``=HYPERLINK(...)`` would become a link, ``+1+cmd|...``
a command. OWASP's rule: such a text cell is written with a leading apostrophe, so it shows as the text it is.
Numbers stay numbers (``-3.5`` is a number, not a formula); a number that is not finite (NaN, ±inf) is written
empty, never as ``inf``; control characters (terminal escapes, bells) are removed from text, and a carriage
return becomes a line break.

Pure: pandas.
"""
from __future__ import annotations

import math
import numbers
import re
from pathlib import Path

FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value):
    """A value as it may go into a spreadsheet cell (see the module notes)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Number):
        try:
            return value if math.isfinite(value) else None
        except (TypeError, ValueError):  # complex and friends: not a spreadsheet number
            return safe_cell(str(value))
    try:
        import pandas as pd
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    # a carriage return inside a cell is a line break to Excel and a row break to some CSV readers: one kind only
    text = _CONTROL.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    if text.lstrip(" \n").startswith(FORMULA_FIRST) and not _NUMBER.match(text.strip()):
        return "'" + text
    return text


def safe_frame(frame):
    """A copy of ``frame`` with every cell made safe; numeric columns keep their dtype."""
    import numpy as np
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if col.dtype.kind in "fc":
            out[name] = col.where(np.isfinite(col.to_numpy(dtype=float, na_value=np.nan)))
        elif col.dtype.kind in "iub":
            continue
        else:
            out[name] = col.map(safe_cell).astype(object)
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(frame, path, *, bom: bool = True, **to_csv) -> Path:
    """Write ``frame`` to ``path`` as a safe CSV, UTF-8 (with a BOM, so Excel reads Chinese right)."""
    path = Path(path)
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8", **to_csv)
    return path
