"""Load and check a scenario: YAML parsing, pydantic models, then cross-references.

Every problem becomes one ``Problem(path, message)``: the path names the field
(``raids[2].target``), the message says what is wrong. ``ScenarioError``
carries them all, so the command line can print one line each and exit 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import yaml

from samsim.catalog import Catalog, load_catalog
from samsim.scenario.models import Scenario

MAX_SCENARIO_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """A scenario that cannot be run; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _loc_to_path(loc: tuple[Any, ...], prefix: str = "") -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _pydantic_problems(err: pydantic.ValidationError, prefix: str = "") -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see `samsim schema`)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif (
            "input" in e
            and e["type"] not in ("model_type",)
            and not isinstance(e["input"], dict | list)
        ):
            msg = f"{msg} (got {e['input']!r})"
        problems.append(Problem(_loc_to_path(loc, prefix), msg))
    return problems


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML loader that rejects a key given twice in one mapping (YAML 1.2
    forbids it; PyYAML would silently keep the last, hiding e.g. a second ``raids:``)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` keys may be overridden, as YAML intends
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, source: str = "scenario") -> Any:
    """YAML text to Python data, or ScenarioError with the line of the syntax error."""
    if len(text.encode("utf-8", errors="replace")) > MAX_SCENARIO_BYTES:
        raise ScenarioError([Problem("", f"{source} is larger than {MAX_SCENARIO_BYTES} bytes")])
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ScenarioError(
            [Problem("", f"{source} is not valid YAML{where}: {problem}")]
        ) from None
    if data is None:
        raise ScenarioError([Problem("", f"{source} is empty")])
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem("", f"{source} must be a mapping of fields, not a {type(data).__name__}")]
        )
    return data


def _cross_check(sc: Scenario, cat: Catalog) -> list[Problem]:
    """References between parts of the scenario and to the catalog."""
    problems: list[Problem] = []
    asset_names = [a.name for a in sc.assets]
    problems += _duplicates("assets", asset_names)
    problems += _duplicates("batteries", [b.name for b in sc.batteries])
    problems += _duplicates("raids", [r.name for r in sc.raids])
    problems += _duplicates("traffic", [t.name for t in sc.traffic])
    for i, b in enumerate(sc.batteries):
        base = f"batteries[{i}]"
        if b.fdc.type not in cat.fdcs:
            problems.append(_unknown(f"{base}.fdc.type", b.fdc.type, cat.fdcs))
        elif len(b.launchers) > cat.fdcs[b.fdc.type].max_launchers:
            problems.append(
                Problem(
                    f"{base}.launchers",
                    f"{len(b.launchers)} launchers exceed "
                    f"the FDC limit of {cat.fdcs[b.fdc.type].max_launchers}",
                )
            )
        for j, r in enumerate(b.radars):
            if r.type not in cat.radars:
                problems.append(_unknown(f"{base}.radars[{j}].type", r.type, cat.radars))
        for j, e in enumerate(b.eo_ir):
            if e.type not in cat.eo_ir:
                problems.append(_unknown(f"{base}.eo_ir[{j}].type", e.type, cat.eo_ir))
        sensor_names = [r.name for r in b.radars] + [e.name for e in b.eo_ir]
        for p in _duplicates("sensors", sensor_names):
            j = int(p.path[len("sensors[") : -len("].name")])
            where = f"radars[{j}]" if j < len(b.radars) else f"eo_ir[{j - len(b.radars)}]"
            problems.append(Problem(f"{base}.{where}.name", p.message))
        for j, ln in enumerate(b.launchers):
            lpath = f"{base}.launchers[{j}]"
            if ln.type not in cat.launchers:
                problems.append(_unknown(f"{lpath}.type", ln.type, cat.launchers))
                continue
            for kind in ln.loadout:
                if kind not in cat.interceptors:
                    problems.append(_unknown(f"{lpath}.loadout.{kind}", kind, cat.interceptors))
            total = sum(ln.loadout.values())
            cap = cat.launchers[ln.type].rounds
            if total > cap:
                problems.append(
                    Problem(
                        f"{lpath}.loadout", f"{total} rounds exceed the launcher's {cap} canisters"
                    )
                )
            if total == 0:
                problems.append(Problem(f"{lpath}.loadout", "launcher carries no rounds"))
    for i, r in enumerate(sc.raids):
        base = f"raids[{i}]"
        if r.type not in cat.threats:
            problems.append(_unknown(f"{base}.type", r.type, cat.threats))
        elif cat.threats[r.type].category == "civil":
            problems.append(
                Problem(f"{base}.type", f"{r.type!r} is civil traffic; put it under `traffic:`")
            )
        if r.target is None and not r.waypoints:
            problems.append(Problem(f"{base}.target", "give a target asset or waypoints"))
        if r.target is not None and r.target not in asset_names:
            problems.append(
                Problem(
                    f"{base}.target",
                    f"no asset named {r.target!r} (assets: {', '.join(asset_names)})",
                )
            )
    for i, t in enumerate(sc.traffic):
        if t.type not in cat.threats:
            problems.append(_unknown(f"traffic[{i}].type", t.type, cat.threats))
    for i, ch in enumerate(sc.doctrine.status_changes):
        if ch.time_s > sc.duration_s:
            problems.append(
                Problem(f"doctrine.status_changes[{i}].time_s", "after the end of the scenario")
            )
    return problems


def _duplicates(section: str, names: list[str]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for i, n in enumerate(names):
        if n in seen:
            out.append(Problem(f"{section}[{i}].name", f"duplicate name {n!r}"))
        seen.add(n)
    return out


def _unknown(path: str, name: str, known: dict[str, Any]) -> Problem:
    return Problem(path, f"unknown catalog type {name!r} (known: {', '.join(sorted(known))})")


def scenario_from_data(data: Any, source: str = "scenario") -> tuple[Scenario, Catalog]:
    """Validate parsed data into a Scenario and its catalog (with overrides)."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", f"{source} must be a mapping of fields")])
    try:
        sc = Scenario.model_validate(data)
    except pydantic.ValidationError as err:
        raise ScenarioError(_pydantic_problems(err)) from None
    try:
        cat = load_catalog(sc.catalog)
    except pydantic.ValidationError as err:
        raise ScenarioError(_pydantic_problems(err, "catalog")) from None
    problems = _cross_check(sc, cat)
    if problems:
        raise ScenarioError(problems)
    return sc, cat


def _resolve_terrain(sc: Scenario, base_dir: Path) -> Scenario:
    """Make a DEM path absolute (relative to the scenario file) and check it can be read."""
    if sc.terrain is None:
        return sc
    dem = Path(sc.terrain.dem_path)
    if not dem.is_absolute():
        dem = (base_dir / dem).resolve()
    if not dem.is_file():
        raise ScenarioError([Problem("terrain.dem_path", f"no such DEM file: {dem}")])
    return sc.model_copy(update={"terrain": sc.terrain.model_copy(update={"dem_path": str(dem)})})


def load_scenario(path: str | Path) -> tuple[Scenario, Catalog]:
    """Read, parse and check a scenario file."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError([Problem("", f"no such scenario file: {p}")])
    if p.stat().st_size > MAX_SCENARIO_BYTES:
        raise ScenarioError([Problem("", f"{p} is larger than {MAX_SCENARIO_BYTES} bytes")])
    try:
        text = p.read_text("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem("", f"{p} is not UTF-8 text")]) from None
    sc, cat = scenario_from_data(parse_yaml(text, p.name), p.name)
    return _resolve_terrain(sc, p.parent), cat


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario format."""
    return Scenario.model_json_schema()
