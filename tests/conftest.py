"""Shared fixtures. The sample county is built once per session, small enough to read."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sample_package(tmp_path_factory):
    """A small sample county package (12 villages, seed 1), written once per test session. Treat as read-only."""
    from risk_one_map.sample.county import build_sample_county
    out = tmp_path_factory.mktemp("sample") / "county"
    return build_sample_county(out, villages=12, seed=1)
