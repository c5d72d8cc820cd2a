"""The numba cache of a samsim kernel follows edits to the kernels it compiles in."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from samsim._jit import PACKAGE_DIR, import_closure, source_stamp


def _package(tmp_path: Path) -> Path:
    """A package ``pkgt``: a.py's kernel calls b.py's kernel (relative import in c.py)."""
    root = tmp_path / "pkgt"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "b.py").write_text("from samsim._jit import jit\n\n@jit\ndef g(x):\n    return x + 1\n")
    (root / "a.py").write_text(
        "from samsim._jit import jit\nfrom pkgt.b import g\n\n"
        "@jit\ndef f(x):\n    return g(x) * 2\n"
    )
    (root / "c.py").write_text("from .b import g\n")
    (root / "d.py").write_text("X = 1\n")
    return root


def test_stamp_covers_imported_modules_only(tmp_path):
    root = _package(tmp_path)
    closure = {p.name for p in import_closure(root / "a.py", root)}
    assert closure == {"a.py", "b.py"}
    assert {p.name for p in import_closure(root / "c.py", root)} == {"c.py", "b.py"}
    before = source_stamp(root / "a.py", root)
    (root / "d.py").write_text("X = 2\n")  # not imported by a.py
    source_stamp.cache_clear()
    assert source_stamp(root / "a.py", root) == before
    (root / "b.py").write_text((root / "b.py").read_text().replace("x + 1", "x + 2"))
    source_stamp.cache_clear()
    assert source_stamp(root / "a.py", root) != before


def test_engine_kernels_are_stamped_with_what_they_compile_in():
    import samsim.engine.run as run

    locator = run._fused_kernel._cache._impl._locator
    assert type(locator).__name__.startswith("Samsim")
    closure = {
        str(p.relative_to(PACKAGE_DIR)) for p in import_closure(PACKAGE_DIR / "engine/run.py")
    }
    assert {"interceptors/flyout.py", "threats/flight.py", "tracking/_step_kernels.py"} <= closure


def test_edit_of_a_callee_recompiles_the_cached_caller(tmp_path):
    """numba alone keys the cache on a.py and would load f with the old g inlined."""
    root = _package(tmp_path)
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(tmp_path)!r})
        import samsim._jit as j
        j.STAMPED_ROOTS.append(Path({str(root)!r}))
        from pkgt.a import f
        print(f(1))
        """
    )

    def run() -> int:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return int(out.stdout.split()[-1])

    assert run() == 4
    assert list((root / "__pycache__").glob("a.f-*.nbi")), "no cache written"
    assert run() == 4  # from the cache
    (root / "b.py").write_text((root / "b.py").read_text().replace("x + 1", "x + 2"))
    assert run() == 6
