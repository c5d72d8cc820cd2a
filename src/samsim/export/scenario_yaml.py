"""Scenario data to YAML text that ``samsim run`` and ``samsim validate`` accept unchanged."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["scenario_to_yaml"]

_HEADER = "# samsim scenario (notional parameters); run with: samsim run {name}.yaml\n"


class _Dumper(yaml.SafeDumper):
    """Safe dumper that keeps multi-line strings readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def scenario_to_yaml(data: dict[str, Any]) -> str:
    """YAML text of scenario data (field order kept, comments from the source are not).

    Parameters
    ----------
    data : the scenario as plain data (as parsed from YAML or JSON, or
        ``Scenario.model_dump(mode="json", exclude_unset=True)``)

    Raises
    ------
    ValueError
        ``data`` is not a mapping.
    """
    if not isinstance(data, dict):
        raise ValueError(f"data: expected a mapping, got {type(data).__name__}")
    body = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return _HEADER.format(name=data.get("name", "scenario")) + body
