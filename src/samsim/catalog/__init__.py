"""Notional catalog: sensors, FDC, launchers, interceptors and threats, with sources."""

from samsim.catalog.load import TAGS, Provenance, catalog_values, load_catalog, provenance
from samsim.catalog.models import (
    Catalog,
    EoIrType,
    FdcType,
    InterceptorType,
    LauncherType,
    RadarType,
    ThreatType,
)

__all__ = [
    "TAGS",
    "Catalog",
    "EoIrType",
    "FdcType",
    "InterceptorType",
    "LauncherType",
    "Provenance",
    "RadarType",
    "ThreatType",
    "catalog_values",
    "load_catalog",
    "provenance",
]
