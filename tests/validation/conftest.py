"""The validation package lives at the repository root; tables go to a shared temp cache."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True, scope="session")
def _flyout_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SAMSIM_CACHE_DIR", str(tmp_path_factory.getbasetemp().parent / "samsim-cache"))
    yield
    mp.undo()
