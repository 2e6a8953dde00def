"""Property tests (hypothesis) for the one CSV writer, the checker's number rules and the coordinate reader."""
from __future__ import annotations

import csv
import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk_one_map.layers.tables import FORMULA_FIRST, safe_cell, write_csv

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["=1+2", '=HYPERLINK("http://x.example","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1",
     "\x1b[31m红村", "-5", "+3.5e2", "东一村"])
NUMBER = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**12, 10**12)


def _read_back(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


@settings(max_examples=80, deadline=None)
@given(names=st.lists(TEXT, min_size=1, max_size=6), values=st.lists(NUMBER, min_size=1, max_size=6))
def test_no_cell_of_a_written_csv_is_a_formula_and_numbers_stay_numbers(tmp_path_factory, names, values):
    n = min(len(names), len(values))
    frame = pd.DataFrame({"name": names[:n], "people": pd.Series(values[:n], dtype=float)})
    path = write_csv(frame, tmp_path_factory.mktemp("csv") / "t.csv")
    rows = _read_back(path)
    assert rows[0] == ["name", "people"] and len(rows) == n + 1
    for (name_cell, number_cell), value in zip(rows[1:], values[:n]):
        assert _is_number(name_cell) or not name_cell.lstrip(" \n").startswith(FORMULA_FIRST)
        assert not any(ord(c) < 32 and c not in "\t\n" for c in name_cell)
        if math.isfinite(float(value)):
            assert float(number_cell) == float(value)  # still a number, the same number
        else:
            assert number_cell == ""  # NaN and ±inf are never written as numbers


@given(TEXT)
def test_safe_cell_keeps_the_text_readable(text):
    out = safe_cell(text)
    assert isinstance(out, str)
    stripped = "".join(c for c in text if not (ord(c) < 32 and c not in "\t\n\r") and not 127 <= ord(c) <= 159)
    stripped = stripped.replace("\r\n", "\n").replace("\r", "\n")
    assert out in (stripped, "'" + stripped)


@given(st.one_of(st.floats(), st.integers(), st.none(), st.booleans()))
def test_numbers_are_never_quoted(value):
    out = safe_cell(value)
    if isinstance(value, float) and not math.isfinite(value):
        assert out is None
    else:
        assert out == value or (out is None and value is None)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=12), st.floats(), st.integers(-10**20, 10**20), st.none()))
def test_parse_coordinate_returns_a_finite_number_or_none(value):
    from risk_one_map.layers.readers import parse_coordinate
    out = parse_coordinate(value)
    assert out is None or (isinstance(out, float) and math.isfinite(out))


@settings(max_examples=12, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8)))
def test_check_flags_every_bad_capacity_and_nothing_else(tmp_path_factory, capacity):
    """±inf, negative or huge capacity: check says so; a plausible number or none passes (the package writer
    leaves text that is not a number empty; text stored by other tools is the fuzz corpus's case)."""
    from risk_one_map.layers.check import check_package
    from risk_one_map.layers.package import write_package
    from tests.tiny import tiny_layers
    layers = tiny_layers()
    layers["shelters"]["capacity"] = pd.Series([capacity], dtype=object)
    pkg = write_package(tmp_path_factory.mktemp("pkg") / "p", layers)
    report = check_package(pkg.path)
    flagged = [p for p in report.errors if p.layer == "shelters" and p.field == "capacity"]
    number = pd.to_numeric(pd.Series([capacity], dtype=object), errors="coerce").iloc[0]
    fine = bool(pd.isna(number) or 0 <= number <= 1e7)
    assert bool(flagged) != fine, (capacity, [p.format() for p in report.problems])


CSV_TEXT = st.lists(st.lists(st.one_of(TEXT, st.floats().map(str), st.sampled_from(["", "116.1", "39.9", "abc",
                                                                                   "116°06′12″", "1e400"])),
                             min_size=0, max_size=5), min_size=0, max_size=6)


@settings(max_examples=60, deadline=None)
@given(header=st.sampled_from([["名称", "经度", "纬度"], ["name", "x", "y"], ["名称"], []]), rows=CSV_TEXT,
       raw=st.binary(max_size=200))
def test_a_csv_of_anything_is_read_or_refused_in_one_line(tmp_path_factory, header, rows, raw):
    """The CSV reader on arbitrary rows (or bytes): Sources with finite coordinates, or a RiskOneMapError."""
    import io
    import numpy as np
    import shapely
    from risk_one_map.errors import RiskOneMapError
    from risk_one_map.layers.readers import read_input
    folder = tmp_path_factory.mktemp("csv")
    path = folder / "避难场所.csv"
    if header:
        text = io.StringIO()
        csv.writer(text).writerows([header] + rows)
        path.write_text(text.getvalue(), encoding="utf-8")
    else:
        path.write_bytes(raw)
    try:
        sources = read_input(path, "shelters", crs="EPSG:4490")
    except RiskOneMapError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    for s in sources:
        if s.geoms is not None:
            geoms = np.array([g for g in s.geoms if g is not None], dtype=object)
            assert np.isfinite(shapely.get_coordinates(geoms)).all() if len(geoms) else True
