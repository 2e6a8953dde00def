"""The DEM work turns numpy's huge-page request off while it runs and back on after (analysis/plain_pages.py)."""
from __future__ import annotations

import pytest

from risk_one_map.analysis import depressions as dp
from risk_one_map.analysis import plain_pages


@pytest.fixture
def switch():
    switch = plain_pages._switch()
    if switch is None:
        pytest.skip("this numpy has no huge-page switch")
    before = switch(True)  # a known state: on
    yield switch
    switch(before)


def test_off_inside_nested_uses_and_back_after(switch, monkeypatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    with plain_pages.plain_pages():
        with plain_pages.plain_pages():
            assert switch(False) is False
        assert switch(False) is False  # the inner exit does not turn it back on
    assert switch(True) is True


def test_the_user_s_explicit_choice_wins(switch, monkeypatch):
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    with plain_pages.plain_pages():
        assert switch(True) is True


def test_find_depressions_runs_on_plain_pages(switch, monkeypatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    seen = []
    real = dp.basins.basin_tree

    def spy(*args):
        seen.append(switch(False))
        return real(*args)

    monkeypatch.setattr(dp.basins, "basin_tree", spy)
    dp.find_depressions([[3.0, 3.0, 3.0], [3.0, 1.0, 3.0], [3.0, 3.0, 3.0]])
    assert seen == [False]
    assert switch(True) is True  # back on
