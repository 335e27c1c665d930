"""Shared fixtures: the bundled sample, cleaned once per test session."""

from pathlib import Path

import pytest

from analysis import clean

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def processed(tmp_path_factory) -> Path:
    """data/raw cleaned into a temporary folder (data/processed is left alone)."""
    out = tmp_path_factory.mktemp("processed") / "processed"
    clean.run(RAW, out)
    return out
