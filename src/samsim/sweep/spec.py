"""Sweep files: a base scenario and the changes that make each point of a study.

A sweep file names a base scenario (a path relative to the sweep file) and
changes to any scenario field by path (``raids[0].count``,
``doctrine.shots_per_target.drone``, ``catalog.interceptors.amraam.max_range_m``):

``set``
    changes applied to every point (for example a shorter ``duration_s``);
``grid``
    axes, each a path and a list of values; the points are their Cartesian
    product, the last axis varying fastest;
``points``
    an explicit list of points, each a mapping of paths to values (several
    fields changing together); combined with a grid, every listed point is
    taken at every grid point.

Each point is validated as a complete scenario before anything runs, and its
problems are reported one line each, naming the point and the field. The
expansion is a pure function of the sweep text and the base scenario text, so
a stored study can be rebuilt exactly when it is resumed.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

from samsim.analysis.summary import SCALARS
from samsim.catalog import Catalog
from samsim.scenario import Problem, Scenario, ScenarioError, parse_yaml, scenario_from_data
from samsim.scenario.load import MAX_SCENARIO_BYTES, _pydantic_problems

MAX_POINTS = 10_000
MAX_REPLICATIONS = 100_000
STOP_METRICS = (*SCALARS, "cost_exchange_ratio")

_KEY = r"[A-Za-z0-9_\-]+"
PATH_RE = re.compile(rf"^[A-Za-z_][A-Za-z0-9_\-]*(\[\d+\])*(\.{_KEY}(\[\d+\])*)*$")
_TOKEN_RE = re.compile(rf"\.?({_KEY})|\[(\d+)\]")

FieldPath = Annotated[
    str,
    Field(
        min_length=1,
        max_length=300,
        pattern=PATH_RE.pattern,
        description="scenario field by path, e.g. raids[0].count",
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Axis(_Model):
    """One swept field and the values it takes."""

    path: FieldPath
    values: list[Any] = Field(min_length=1, max_length=MAX_POINTS)
    name: str | None = Field(
        default=None, min_length=1, max_length=64, description="short label; default the path"
    )


class StopRule(_Model):
    """Add replications to a point until the 95 % interval of a metric is narrow enough.

    After the first ``replications`` of a point, while the half-width of the
    95 % confidence interval of the mean of ``metric`` exceeds ``half_width``
    (in the metric's own units) and fewer than ``max_replications`` have run,
    ``batch`` more replications are added. The decision uses only complete
    batches, so the final number of replications of every point does not
    depend on the backend, the number of workers or interruptions.
    """

    metric: Literal[STOP_METRICS]  # type: ignore[valid-type]
    half_width: PositiveFloat
    max_replications: int = Field(ge=2, le=MAX_REPLICATIONS)
    batch: int | None = Field(
        default=None, ge=1, le=MAX_REPLICATIONS, description="default: `replications`"
    )


class SweepSpec(_Model):
    """A sweep file. Unknown keys are errors."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = Field(default="", max_length=4000)
    base: str = Field(
        min_length=1, max_length=1024, description="base scenario, relative to this file"
    )
    seed: int | None = Field(
        default=None, ge=0, le=2**63 - 1, description="default: the base scenario's seed"
    )
    replications: int = Field(ge=1, le=MAX_REPLICATIONS, description="per point")
    common_random_numbers: bool = Field(
        default=False,
        description="replication r of every point uses the same random streams "
        "(variance reduction when comparing points)",
    )
    set: dict[FieldPath, Any] = Field(default_factory=dict, description="changes for every point")
    grid: list[Axis] = Field(default_factory=list, max_length=16)
    points: list[dict[FieldPath, Any]] = Field(default_factory=list, max_length=MAX_POINTS)
    stop: StopRule | None = None
    anchors: Any = Field(
        default=None, description="free-form; a place to define YAML anchors, not read otherwise"
    )

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        if self.stop is not None:
            if self.replications < 2:
                raise ValueError("replications: a stopping rule needs at least 2 per point")
            if self.stop.max_replications < self.replications:
                raise ValueError("stop.max_replications: smaller than replications")
        n = 1
        for axis in self.grid:
            n *= len(axis.values)
        n *= max(1, len(self.points))
        if n > MAX_POINTS:
            raise ValueError(f"the sweep has {n} points, more than {MAX_POINTS}")
        return self


# -- field paths -------------------------------------------------------------


def parse_path(path: str) -> list[str | int]:
    """Split ``raids[0].launch.lat_deg`` into ``['raids', 0, 'launch', 'lat_deg']``."""
    if not PATH_RE.match(path):
        raise ValueError(f"{path!r} is not a field path such as raids[0].count")
    return [
        m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _TOKEN_RE.finditer(path)
    ]


def _show(tokens: list[str | int]) -> str:
    out = ""
    for t in tokens:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set one field of scenario data (nested dicts and lists) in place.

    Missing mapping keys are created (catalog overrides and loadouts are
    open mappings); whether the result is a valid scenario is checked later by
    the scenario models, which name any unknown field. List indices must exist.

    Raises
    ------
    ValueError
        naming the part of the path that cannot be followed.
    """
    tokens = parse_path(path)
    node: Any = data
    for k, tok in enumerate(tokens):
        last = k == len(tokens) - 1
        where = _show(tokens[:k]) or "the scenario"
        if isinstance(tok, int):
            if not isinstance(node, list):
                raise ValueError(f"{where} is not a list, so [{tok}] does not apply")
            if tok >= len(node):
                raise ValueError(f"{where} has {len(node)} entries, no index {tok}")
            if last:
                node[tok] = copy.deepcopy(value)
            else:
                node = node[tok]
        else:
            if not isinstance(node, dict):
                raise ValueError(f"{where} is not a mapping, so .{tok} does not apply")
            if last:
                node[tok] = copy.deepcopy(value)
            else:
                if node.get(tok) is None:
                    node[tok] = {}
                node = node[tok]


# -- expansion ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """One point of a sweep: its changes and the complete scenario they make."""

    index: int
    params: dict[str, Any]  # swept path -> value, in axis order
    label: str
    scenario: Scenario
    catalog: Catalog
    sha256: str  # of the canonical JSON of the scenario and its catalog


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: its texts, their hashes and every point."""

    spec: SweepSpec
    sweep_text: str
    sweep_path: str
    base_text: str
    base_path: str
    base: Scenario
    seed: int
    points: list[SweepPoint]
    names: dict[str, str]  # swept path -> display name

    @property
    def sweep_sha256(self) -> str:
        return sha256_text(self.sweep_text)

    @property
    def base_sha256(self) -> str:
        return sha256_text(self.base_text)

    def replication_seed(self, point: int, replication: int) -> int:
        """The seed of one replication (see `replication_seed`)."""
        return replication_seed(self.seed, point, replication, self.spec.common_random_numbers)


class SweepError(ScenarioError):
    """A sweep that cannot be run; ``problems`` lists every reason."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replication_seed(seed: int, point: int, replication: int, common: bool = False) -> int:
    """Seed handed to the engine for one (point, replication), in [0, 2**63).

    Derived with ``numpy.random.SeedSequence(seed, spawn_key=(point,
    replication))`` (``(replication,)`` with common random numbers), so it
    depends on nothing but these numbers: not on the backend, the worker or
    the order in which replications run.
    """
    key = (int(replication),) if common else (int(point), int(replication))
    state = np.random.SeedSequence(entropy=int(seed), spawn_key=key).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def point_sha256(sc: Scenario, cat: Catalog) -> str:
    """Hash of a point's complete scenario and catalog (canonical JSON)."""
    doc = {"scenario": sc.model_dump(mode="json"), "catalog": cat.model_dump(mode="json")}
    return sha256_text(json.dumps(doc, sort_keys=True, separators=(",", ":")))


def _fmt_value(v: Any) -> str:
    text = json.dumps(v, sort_keys=True, separators=(",", ":")) if not isinstance(v, str) else v
    return text if len(text) <= 40 else text[:37] + "..."


def _resolve_terrain(sc: Scenario, base_dir: Path) -> Scenario:
    if sc.terrain is None or Path(sc.terrain.dem_path).is_absolute():
        return sc
    dem = str((base_dir / sc.terrain.dem_path).resolve())
    return sc.model_copy(update={"terrain": sc.terrain.model_copy(update={"dem_path": dem})})


def plan_from_texts(sweep_text: str, sweep_path: str, base_text: str, base_path: str) -> SweepPlan:
    """Validate a sweep and expand its points from the texts of both files.

    Raises
    ------
    SweepError
        with one problem per bad field of the sweep file or of any point.
    """
    data = _parse(sweep_text, Path(sweep_path).name)
    try:
        spec = SweepSpec.model_validate(data)
    except pydantic.ValidationError as err:
        raise SweepError(_pydantic_problems(err)) from None
    try:
        base, _ = scenario_from_data(parse_yaml(base_text, Path(base_path).name), base_path)
    except ScenarioError as exc:
        raise SweepError(
            [Problem(f"base ({Path(base_path).name})", str(p)) for p in exc.problems]
        ) from None

    problems: list[Problem] = []
    names: dict[str, str] = {}
    for i, axis in enumerate(spec.grid):
        if axis.path in names:
            problems.append(Problem(f"grid[{i}].path", f"{axis.path} is swept twice"))
        if axis.path in spec.set:
            problems.append(Problem(f"grid[{i}].path", f"{axis.path} is also under set"))
        names[axis.path] = axis.name or axis.path
    for i, entry in enumerate(spec.points):
        if not entry:
            problems.append(Problem(f"points[{i}]", "empty point (give at least one path)"))
        for path in entry:
            if path in spec.set or any(a.path == path for a in spec.grid):
                problems.append(Problem(f"points[{i}].{path}", "also under set or grid"))
            names.setdefault(path, path)
    display = [a.name or a.path for a in spec.grid]
    if len(set(display)) != len(display):
        problems.append(Problem("grid", "two axes share a name"))
    if problems:
        raise SweepError(problems)

    base_data = base.model_dump(mode="json")
    for path, value in spec.set.items():
        try:
            set_path(base_data, path, value)
        except ValueError as exc:
            problems.append(Problem(f"set.{path}", str(exc)))
    grid_values = [[(a.path, v) for v in a.values] for a in spec.grid]
    for k, axis in enumerate(spec.grid):
        for j, v in enumerate(axis.values):
            try:
                set_path(copy.deepcopy(base_data), axis.path, v)
            except ValueError as exc:
                problems.append(Problem(f"grid[{k}].values[{j}]", f"{axis.path}: {exc}"))
                break
    if problems:
        raise SweepError(problems)

    listed = spec.points or [{}]
    points: list[SweepPoint] = []
    base_dir = Path(base_path).parent
    index = -1
    for combo in itertools.product(*grid_values):
        for j, entry in enumerate(listed):
            params = dict(combo) | dict(entry)
            index += 1
            label = ", ".join(f"{names[p]}={_fmt_value(v)}" for p, v in params.items()) or "base"
            doc = copy.deepcopy(base_data)
            bad = False
            for path, value in params.items():
                try:
                    set_path(doc, path, value)
                except ValueError as exc:
                    problems.append(Problem(f"points[{j}].{path}", str(exc)))
                    bad = True
            if bad:
                continue
            try:
                sc, cat = scenario_from_data(doc, f"point {index}")
            except ScenarioError as exc:
                problems += [
                    Problem(f"point {index} ({label}): {p.path}", p.message) for p in exc.problems
                ]
                continue
            sc = _resolve_terrain(sc, base_dir)
            if sc.terrain is not None and not Path(sc.terrain.dem_path).is_file():
                problems.append(
                    Problem(
                        f"point {index} ({label}): terrain.dem_path",
                        f"no such DEM file: {sc.terrain.dem_path}",
                    )
                )
                continue
            points.append(SweepPoint(index, params, label, sc, cat, point_sha256(sc, cat)))
    if problems:
        raise SweepError(_dedupe(problems))
    seed = base.seed if spec.seed is None else spec.seed
    return SweepPlan(spec, sweep_text, sweep_path, base_text, base_path, base, seed, points, names)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def _parse(text: str, source: str) -> Any:
    try:
        return parse_yaml(text, source)
    except ScenarioError as exc:
        raise SweepError(exc.problems) from None


def _read_text(path: Path, what: str, field: str) -> str:
    if not path.is_file():
        raise SweepError([Problem(field, f"no such {what}: {path}")])
    if path.stat().st_size > MAX_SCENARIO_BYTES:
        raise SweepError([Problem(field, f"{path} is larger than {MAX_SCENARIO_BYTES} bytes")])
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError:
        raise SweepError([Problem(field, f"{path} is not UTF-8 text")]) from None


def load_sweep(path: str | Path) -> SweepPlan:
    """Read a sweep file and its base scenario, validate both and expand every point.

    Raises
    ------
    SweepError
        with one problem per bad field (exit status 2 on the command line).
    """
    p = Path(path).resolve()
    text = _read_text(p, "sweep file", "")
    data = _parse(text, p.name)
    base = data.get("base") if isinstance(data, dict) else None
    if not isinstance(base, str) or not base:
        # Let the model report the missing or malformed field.
        try:
            SweepSpec.model_validate(data)
        except pydantic.ValidationError as err:
            raise SweepError(_pydantic_problems(err)) from None
        raise SweepError([Problem("base", "give the base scenario file")])
    base_path = (p.parent / base).resolve()
    base_text = _read_text(base_path, "base scenario file", "base")
    return plan_from_texts(text, str(p), base_text, str(base_path))
