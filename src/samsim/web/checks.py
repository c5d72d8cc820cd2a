"""Checks the server applies to a scenario before the rules of ``samsim validate``.

The server never reads a file named by a client, so a scenario that names one
(``terrain.dem_path``, or any key that looks like a path, a file, a directory
or a URL) is refused with the reason. Size limits keep one request from
occupying the server for hours: counts, durations and steps are bounded, and
the parsed document is bounded in nesting depth and node count (YAML aliases
can expand a small text into a huge document). Numbers must be finite.
Everything else is ``samsim.scenario.scenario_from_data``: the same models and
cross-checks as the command line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from samsim.catalog import Catalog
from samsim.scenario import Problem, ScenarioError, parse_yaml, scenario_from_data
from samsim.scenario.models import Scenario

__all__ = ["Limits", "check_document", "check_scenario_data", "parse_scenario_text"]

_PATH_KEY = re.compile(r"(^|_)(path|paths|file|files|filename|dir|directory|url|uri)$", re.I)
NO_CLIENT_PATHS = (
    "the server does not read files named by a client; remove this field "
    "(terrain from a DEM file is supported by the command line, `samsim run`)"
)


@dataclass(frozen=True, slots=True)
class Limits:
    """What one scenario or request may ask of the server."""

    max_body_bytes: int = 1_000_000
    max_depth: int = 24
    max_nodes: int = 100_000
    max_duration_s: float = 4 * 3600.0
    max_steps: int = 200_000
    max_threats: int = 2_000
    max_traffic: int = 500
    max_replications: int = 64
    max_scenarios: int = 1_000
    max_active_runs: int = 16
    # sweeps (samsim.web.sweeps)
    max_sweep_points: int = 200
    max_sweep_replications: int = 5_000  # points x replications (stopping rule: its maximum)
    max_sweep_sim_time_s: float = 2_000 * 3600.0  # replications x simulated duration, summed
    max_active_sweeps: int = 4
    max_sweeps: int = 500


def _walk(data: Any, limits: Limits) -> list[Problem]:
    """Depth, size, path-like keys and non-finite numbers, iteratively (no recursion)."""
    problems: list[Problem] = []
    nodes = 0
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            return [Problem("", f"scenario has more than {limits.max_nodes} values")]
        if depth > limits.max_depth:
            return [Problem(path, f"nested deeper than {limits.max_depth} levels")]
        if isinstance(node, dict):
            for key, value in node.items():
                sub = f"{path}.{key}" if path else str(key)
                if not isinstance(key, str):
                    problems.append(Problem(sub, "keys must be strings"))
                    continue
                if _PATH_KEY.search(key):
                    problems.append(Problem(sub, NO_CLIENT_PATHS))
                    continue
                stack.append((value, sub, depth + 1))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                stack.append((value, f"{path}[{i}]", depth + 1))
        elif isinstance(node, float) and not math.isfinite(node):
            problems.append(Problem(path, f"must be a finite number (got {node!r})"))
        elif not isinstance(node, str | int | float | bool | type(None)):
            problems.append(Problem(path, f"unsupported value of type {type(node).__name__}"))
    return problems


def _size_problems(sc: Scenario, limits: Limits) -> list[Problem]:
    problems = []
    if sc.duration_s > limits.max_duration_s:
        problems.append(
            Problem(
                "duration_s",
                f"{sc.duration_s:g} s exceeds the server's limit of {limits.max_duration_s:g} s",
            )
        )
    steps = sc.duration_s / sc.step_s
    if steps > limits.max_steps:
        problems.append(
            Problem(
                "step_s",
                f"{steps:,.0f} engine steps (duration_s / step_s) exceed the server's limit "
                f"of {limits.max_steps:,}",
            )
        )
    threats = sum(r.count for r in sc.raids)
    if threats > limits.max_threats:
        problems.append(
            Problem("raids", f"{threats} threats exceed the server's limit of {limits.max_threats}")
        )
    traffic = sum(t.count for t in sc.traffic)
    if traffic > limits.max_traffic:
        problems.append(
            Problem(
                "traffic",
                f"{traffic} aircraft exceed the server's limit of {limits.max_traffic}",
            )
        )
    return problems


def check_document(data: Any, limits: Limits) -> dict[str, Any]:
    """Only the server's document checks (no scenario rules): a mapping, bounded, no paths.

    Raises
    ------
    ScenarioError
        With one ``Problem`` per thing wrong.
    """
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "a scenario must be a mapping of fields")])
    problems = _walk(data, limits)
    if problems:
        raise ScenarioError(problems)
    return data


def check_scenario_data(data: Any, limits: Limits) -> tuple[Scenario, Catalog]:
    """Validate scenario data for the server: its own limits, then ``samsim validate``'s rules.

    Raises
    ------
    ScenarioError
        With one ``Problem(path, message)`` per thing wrong.
    """
    check_document(data, limits)
    sc, cat = scenario_from_data(data)
    problems = _size_problems(sc, limits)
    if problems:
        raise ScenarioError(problems)
    return sc, cat


def _yaml_shape_problems(text: str, limits: Limits) -> list[Problem]:
    """Nesting depth and event count from the YAML event stream (iterative, no recursion),
    before the recursive composer builds anything."""
    depth = 0
    try:
        for n_events, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader)):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limits.max_depth:
                    return [Problem("yaml", f"nested deeper than {limits.max_depth} levels")]
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if n_events > 4 * limits.max_nodes:
                return [Problem("yaml", f"has more than {limits.max_nodes} values")]
    except yaml.YAMLError:
        return []  # parse_yaml reports syntax errors with their line
    return []


def parse_scenario_text(text: str, limits: Limits) -> dict[str, Any]:
    """YAML (or JSON, a subset of YAML) text to data, or ScenarioError."""
    if len(text.encode("utf-8", errors="replace")) > limits.max_body_bytes:
        raise ScenarioError([Problem("yaml", f"larger than {limits.max_body_bytes} bytes")])
    problems = _yaml_shape_problems(text, limits)
    if problems:
        raise ScenarioError(problems)
    try:
        data = parse_yaml(text, "yaml")
    except RecursionError:
        raise ScenarioError([Problem("yaml", "nested too deeply")]) from None
    except ScenarioError:
        raise
    except Exception as exc:  # the YAML parser can fail in ways it does not classify
        raise ScenarioError(
            [Problem("yaml", f"could not be parsed: {type(exc).__name__}")]
        ) from None
    problems = _walk(data, limits)
    if problems:
        raise ScenarioError(problems)
    return data
