"""numba's njit with on-disk caching, used for the per-entity kernels where
array expressions spend more time in call overhead than in arithmetic
(measured in docs/benchmarks.md).

Cache freshness: numba keys a cached kernel on the file that defines it, but a
kernel compiles in the kernels it calls from other modules. Edit only the
callee (or upgrade samsim where only the callee changed: pip leaves numba's
cache files behind) and numba would load the caller's stale machine code. So
samsim's kernels are stamped with a hash of their module and of every samsim
module it imports, directly or through others (``import_closure``); any change
there recompiles them.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

from numba import njit
from numba.core import caching

PACKAGE_DIR = Path(__file__).resolve().parent
# Package folders whose kernels get ``source_stamp``ed (tests add their own).
STAMPED_ROOTS: list[Path] = [PACKAGE_DIR]


def _module_files(name: str, root: Path) -> list[Path]:
    """Files of module ``name`` (``samsim.a.b``) of the package in folder ``root``."""
    parts = name.split(".")
    if parts[0] != root.name:
        return []
    base = root.joinpath(*parts[1:])
    found = [base.with_suffix(".py")] if len(parts) > 1 else []
    found.append(base / "__init__.py")
    return [p for p in found if p.is_file()]


@functools.cache
def _imports(path: Path, root: Path) -> tuple[Path, ...]:
    """Files of the package's modules that ``path`` imports (anywhere in it, lazily too)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                pkg = path.parent.relative_to(root.parent).parts
                pkg = pkg[: len(pkg) - (node.level - 1)]
                module = ".".join(pkg + ((module,) if module else ()))
            names.append(module)
            names += [f"{module}.{a.name}" for a in node.names]  # submodules imported by name
    files: list[Path] = []
    for name in names:
        files += _module_files(name, root)
    return tuple(files)


def import_closure(path: Path, root: Path = PACKAGE_DIR) -> list[Path]:
    """``path`` and every module of the package in folder ``root`` it imports, transitively."""
    seen: set[Path] = set()
    todo = [path.resolve()]
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo += _imports(p, root)
    return sorted(seen)


@functools.cache
def source_stamp(path: Path, root: Path = PACKAGE_DIR) -> str:
    """SHA-256 of the files of ``import_closure(path)`` (names and contents)."""
    h = hashlib.sha256()
    for p in import_closure(path, root):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _root_of(path: Path) -> Path | None:
    return next((r for r in STAMPED_ROOTS if path.is_relative_to(r)), None)


def _stamped(locator: type) -> type:
    """A numba cache locator like ``locator`` that serves samsim's files only and
    stamps them with ``source_stamp`` instead of their own hash."""

    class Stamped(locator):  # type: ignore[misc, valid-type]
        def get_source_stamp(self):
            path = Path(self._py_file).resolve()
            return source_stamp(path, _root_of(path))

        @classmethod
        def from_function(cls, py_func, py_file):
            if _root_of(Path(py_file).resolve()) is None:
                return None
            return super().from_function(py_func, py_file)

    Stamped.__name__ = Stamped.__qualname__ = f"Samsim{locator.__name__.lstrip('_')}"
    return Stamped


def _install_locators() -> None:
    """Put samsim's locators first (numba tries them in order; these keep
    numba's choice of folder: NUMBA_CACHE_DIR, else __pycache__, else the user's
    cache folder)."""
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
    names = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")
    bases = [getattr(caching, n, None) or getattr(caching, "_" + n) for n in names]
    if not any(getattr(c, "__name__", "").startswith("Samsim") for c in impl._locator_classes):
        impl._locator_classes[:0] = [_stamped(b) for b in bases]


_install_locators()

jit = njit(cache=True, fastmath=False, nogil=True, error_model="numpy")

__all__ = ["PACKAGE_DIR", "STAMPED_ROOTS", "import_closure", "jit", "source_stamp"]
