"""Every test runs with its own database, cache and no user decks, and plain, wide output."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = Path(__file__).resolve().parent / "data" / "seed.txt"  # the source, see tests/data/README


# Property tests explore new examples on every run here; `.ci/run` sets HYPOTHESIS_PROFILE=ci so
# that a landing run is reproducible (the same examples each time, the failing one printed).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DLCARDS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "data").mkdir()  # a named database's directory must exist
    monkeypatch.setenv("DLCARDS_DB", str(tmp_path / "data" / "dlcards.db"))
    monkeypatch.delenv("DLCARDS_DECKS", raising=False)
    monkeypatch.delenv("DLCARDS_TODAY", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    from dlcards.console import out

    out.cache_clear()  # the console reads COLUMNS/LINES when made: one per test
    yield tmp_path
    out.cache_clear()
