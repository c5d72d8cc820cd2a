"""Fly-out tables go to one temporary cache shared by the test workers (never ~/.cache)."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _flyout_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SAMSIM_CACHE_DIR", str(tmp_path_factory.getbasetemp().parent / "samsim-cache"))
    yield
    mp.undo()
