"""Read the notional catalog (package data) and apply a scenario's overrides.

Each numeric parameter in ``catalog.yaml`` is written ``{value, tag, source}``;
loading strips it to its value and keeps the tag and source in a provenance
table, so that reports can say where every number came from.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from samsim.catalog.models import Catalog

TAGS = {
    "O": "official or primary public release, as reported",
    "N": "news or think-tank report, quoted as published",
    "C": "widely quoted public figure, not confirmed from a primary source",
    "G": "game, mod or hobby-project data",
    "A": "samsim modelling assumption (placeholder to vary)",
    "D": "derived from other entries",
    "S": "set by the scenario",
}


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where one catalog value comes from."""

    tag: str
    source: str


def _is_param(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"value", "tag", "source"}


def _strip(node: Any, path: tuple[str, ...], prov: dict[str, Provenance]) -> Any:
    if _is_param(node):
        if node["tag"] not in TAGS:
            raise ValueError(f"catalog {'.'.join(path)}: unknown tag {node['tag']!r}")
        prov[".".join(path)] = Provenance(node["tag"], node["source"])
        return node["value"]
    if isinstance(node, dict):
        return {k: _strip(v, (*path, k), prov) for k, v in node.items()}
    return node


@lru_cache(maxsize=1)
def _base() -> tuple[dict[str, Any], dict[str, Provenance]]:
    text = resources.files("samsim.catalog").joinpath("data/catalog.yaml").read_text("utf-8")
    prov: dict[str, Provenance] = {}
    values = _strip(yaml.safe_load(text), (), prov)
    return values, prov


def _merge(
    base: dict[str, Any], over: dict[str, Any], path: tuple[str, ...], prov: dict[str, Provenance]
) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, (*path, key), prov)
        else:
            out[key] = copy.deepcopy(value)
            _mark(value, (*path, key), prov)
    return out


def _mark(value: Any, path: tuple[str, ...], prov: dict[str, Provenance]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _mark(v, (*path, k), prov)
    else:
        prov[".".join(path)] = Provenance("S", "scenario override")


def catalog_values(
    overrides: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Provenance]]:
    """Plain catalog values with overrides merged in, and their provenance."""
    values, prov = _base()
    prov = dict(prov)
    merged = _merge(values, overrides or {}, (), prov)
    return merged, prov


def load_catalog(overrides: dict[str, Any] | None = None) -> Catalog:
    """The validated catalog, with a scenario's ``catalog:`` overrides applied.

    Raises ``pydantic.ValidationError`` when an override breaks an entry.
    """
    values, _ = catalog_values(overrides)
    return Catalog.model_validate(values)


def provenance(overrides: dict[str, Any] | None = None) -> dict[str, Provenance]:
    """Dotted parameter path -> (tag, source), e.g. ``radars.sentinel.pfa``."""
    return catalog_values(overrides)[1]
