"""The FastAPI application: scenarios, runs, exports, map layers and the front end.

Every bad request gets a 4xx with a JSON body ``{"detail": "...", "problems":
[{"path", "message"}]}``: 404 for unknown ids, 413 for bodies over the size
limit, 422 for invalid scenarios or parameters (each problem names its field
path, as ``samsim validate`` does), 409 for a run in the wrong state, 429 when
the server is busy. Ids are server-generated and checked against a pattern
before any look-up; the server never opens a file named by a client.
"""

from __future__ import annotations

import gzip
import json
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from samsim import __version__ as samsim_version
from samsim.scenario import Problem, ScenarioError
from samsim.web.checks import Limits, check_document, check_scenario_data, parse_scenario_text
from samsim.web.limits import BodySizeLimit
from samsim.web.progress import progress_stream
from samsim.web.runner import RunPool
from samsim.web.storage import ID_PATTERN, Store

__all__ = ["Settings", "create_app"]

STATIC_DIR = Path(str(resources.files("samsim.web").joinpath("static")))
REFERENCE_NAME = r"^[a-z0-9_]{1,64}$"


@dataclass(frozen=True)
class Settings:
    """Server configuration (from ``samsim serve`` options)."""

    data_dir: Path
    workers: int = 1
    limits: Limits = field(default_factory=Limits)


# Models of the API ------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemOut(BaseModel):
    path: str = Field(description="field path, e.g. raids[1].target ('' for the whole document)")
    message: str


class ErrorOut(BaseModel):
    detail: str
    problems: list[ProblemOut] = []


class ScenarioIn(_Strict):
    """A scenario given either as YAML text or as JSON data (exactly one of them)."""

    yaml: str | None = Field(default=None, description="scenario as YAML text")
    scenario: dict[str, Any] | None = Field(default=None, description="scenario as JSON data")

    @model_validator(mode="after")
    def _one_of(self):
        if (self.yaml is None) == (self.scenario is None):
            raise ValueError("give exactly one of 'yaml' and 'scenario'")
        return self


class ConvertOut(BaseModel):
    yaml: str = Field(description="the scenario as YAML text")
    scenario: dict[str, Any] = Field(description="the scenario as JSON data")


class ScenarioSummary(BaseModel):
    id: str
    name: str
    created: str
    updated: str


class ScenarioOut(ScenarioSummary):
    scenario: dict[str, Any]


class CoverageOut(BaseModel):
    target_alt_m: float
    radars: list[dict[str, Any]]
    launchers: list[dict[str, Any]]


class ValidationOut(BaseModel):
    valid: bool
    problems: list[ProblemOut]
    counts: dict[str, int] = {}
    coverage: CoverageOut | None = None


class RunIn(_Strict):
    scenario_id: str = Field(pattern=ID_PATTERN, description="id of a stored scenario")
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="default: scenario's")
    replications: int = Field(default=1, ge=1, le=10_000)


class RunOut(BaseModel):
    id: str
    scenario_id: str | None
    scenario_name: str
    seed: int
    replications: int
    status: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
    progress: float = Field(description="fraction done, 0..1")
    sim_time_s: float = Field(description="simulated time of the replication in progress")
    message: str
    created: str | None
    finished: str | None
    summary: dict[str, Any] | None
    has_replay: bool


class ReferenceOut(BaseModel):
    name: str
    description: str


IdParam = Annotated[str, PathParam(pattern=ID_PATTERN, description="server-generated id")]
ERRORS = {
    404: {"model": ErrorOut, "description": "unknown id"},
    413: {"model": ErrorOut, "description": "request body too large"},
    422: {"model": ErrorOut, "description": "invalid input; problems name the fields"},
}


def _problems_response(status: int, detail: str, problems: list[Problem]) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={
            "detail": detail,
            "problems": [{"path": p.path, "message": p.message} for p in problems],
        },
    )


def _loc_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _reference_scenarios() -> dict[str, str]:
    """Shipped scenario names -> YAML text (read from package data, never from a client path)."""
    folder = resources.files("samsim").joinpath("scenarios")
    out = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml") and re.match(REFERENCE_NAME, entry.name[:-5]):
            out[entry.name[:-5]] = entry.read_text("utf-8")
    return dict(sorted(out.items()))


def create_app(settings: Settings) -> FastAPI:
    """The application; the store and the worker pool open at start-up and close at shutdown."""
    from samsim.web.sweeps import SweepManager
    from samsim.web.sweeps import router as sweeps_router

    limits = settings.limits

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        store = Store(settings.data_dir)
        pool = RunPool(store, settings.workers, limits.max_active_runs)
        sweeps = SweepManager(settings.data_dir / "sweeps", settings.workers, limits)
        app.state.store, app.state.pool, app.state.sweeps = store, pool, sweeps
        try:
            yield
        finally:
            sweeps.shutdown()
            pool.shutdown()
            store.close()

    app = FastAPI(
        title="samsim",
        version=samsim_version,
        description=(
            "Local web API of samsim: scenarios (create from YAML or JSON, validate with the "
            "rules of `samsim validate`, update, delete), runs and sweeps in worker processes "
            "with progress over server-sent events, replays, sweep results with 95 % "
            "intervals and HTML reports, and exports (scenario YAML, CZML, KML). Notional "
            "parameters; analysis software, not fire-control software. "
            "The server never reads files named by a client."
        ),
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors():
            loc = tuple(p for p in e.get("loc", ()) if p not in ("body",))
            problems.append(Problem(_loc_path(loc), str(e.get("msg", "invalid"))))
        return _problems_response(422, "invalid request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": detail, "problems": []},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ScenarioError)
    async def _scenario(request: Request, exc: ScenarioError):
        return _problems_response(422, "invalid scenario", exc.problems)

    @app.exception_handler(RecursionError)
    async def _deep(request: Request, exc: RecursionError):
        return _problems_response(422, "request nested too deeply", [])

    def store(request: Request) -> Store:
        return request.app.state.store

    def pool(request: Request) -> RunPool:
        return request.app.state.pool

    def scenario_data(body: ScenarioIn) -> dict[str, Any]:
        if body.yaml is not None:
            return parse_scenario_text(body.yaml, limits)
        return body.scenario  # type: ignore[return-value]

    def checked(body: ScenarioIn) -> tuple[dict[str, Any], Any, Any]:
        data = scenario_data(body)
        sc, cat = check_scenario_data(data, limits)
        return data, sc, cat

    def get_or_404(found: Any, what: str) -> Any:
        if found is None:
            raise HTTPException(404, f"no {what} with this id")
        return found

    # Health and catalog ---------------------------------------------------------

    @app.get("/api/health", tags=["server"])
    def health() -> dict[str, str]:
        """Liveness check."""
        return {"status": "ok", "version": samsim_version}

    @app.get("/api/limits", tags=["server"])
    def get_limits() -> dict[str, float]:
        """Size limits this server enforces on requests, scenarios and runs."""
        return {k: getattr(limits, k) for k in limits.__dataclass_fields__}

    @app.get("/api/catalog", tags=["server"])
    def catalog() -> dict[str, Any]:
        """Type names and key parameters of the notional catalog (for forms and map layers)."""
        from samsim.catalog import load_catalog

        cat = load_catalog({})
        return {
            "radars": {
                k: {
                    "instrumented_range_m": v.instrumented_range_m,
                    "antenna_height_m": v.antenna_height_m,
                }
                for k, v in cat.radars.items()
            },
            "launchers": {k: {"rounds": v.rounds} for k, v in cat.launchers.items()},
            "interceptors": {
                k: {"max_range_m": v.max_range_m, "unit_cost_usd": v.unit_cost_usd}
                for k, v in cat.interceptors.items()
            },
            "threats": {
                k: {"category": v.category, "speed_mps": v.speed_mps, "altitude_m": v.altitude_m}
                for k, v in cat.threats.items()
            },
            "fdcs": sorted(cat.fdcs),
        }

    @app.get("/api/basemap", tags=["map"], responses=ERRORS)
    def basemap(
        lon_min: Annotated[float, Query(ge=-360, le=360)] = 118.5,
        lat_min: Annotated[float, Query(ge=-90, le=90)] = 23.5,
        lon_max: Annotated[float, Query(ge=-360, le=360)] = 124.0,
        lat_max: Annotated[float, Query(ge=-90, le=90)] = 26.5,
        resolution: Literal["c", "l", "i"] = "i",
    ) -> dict[str, Any]:
        """Land polygons (GSHHS, offline) clipped to a box, as GeoJSON; at most 30 x 30 degrees."""
        from samsim.web.geo import land_geojson

        box = (lon_min, lat_min, lon_max, lat_max)
        if not (lon_min < lon_max and lat_min < lat_max):
            raise ScenarioError(
                [Problem("lon_min", "need lon_min < lon_max and lat_min < lat_max")]
            )
        if lon_max - lon_min > 30 or lat_max - lat_min > 30:
            raise ScenarioError([Problem("lon_max", "box larger than 30 x 30 degrees")])
        return land_geojson(box, resolution)

    # Scenarios --------------------------------------------------------------------

    @app.get("/api/reference-scenarios", tags=["scenarios"])
    def list_references() -> list[ReferenceOut]:
        """Scenarios shipped with samsim, which can be copied into the store."""
        out = []
        for name, text in _reference_scenarios().items():
            data = parse_scenario_text(text, limits)
            out.append(ReferenceOut(name=name, description=str(data.get("description", ""))))
        return out

    @app.post(
        "/api/reference-scenarios/{name}/copy",
        tags=["scenarios"],
        status_code=201,
        responses=ERRORS,
    )
    def copy_reference(
        request: Request,
        name: Annotated[str, PathParam(pattern=REFERENCE_NAME)],
    ) -> ScenarioOut:
        """Store a copy of a shipped scenario (by name, e.g. taiwan_north)."""
        text = get_or_404(_reference_scenarios().get(name), "reference scenario")
        data = parse_scenario_text(text, limits)
        sc, _ = check_scenario_data(data, limits)
        return ScenarioOut(**store(request).create_scenario(sc.name, data))

    @app.get("/api/scenarios", tags=["scenarios"])
    def list_scenarios(request: Request) -> list[ScenarioSummary]:
        """Stored scenarios, most recently updated first."""
        return [ScenarioSummary(**s) for s in store(request).list_scenarios()]

    @app.post("/api/scenarios", tags=["scenarios"], status_code=201, responses=ERRORS)
    def create_scenario(request: Request, body: ScenarioIn) -> ScenarioOut:
        """Validate and store a scenario given as YAML text or JSON data."""
        data, sc, _ = checked(body)
        st = store(request)
        if st.count_scenarios() >= limits.max_scenarios:
            raise HTTPException(413, f"the store holds {limits.max_scenarios} scenarios already")
        return ScenarioOut(**st.create_scenario(sc.name, data))

    @app.get("/api/scenarios/{scenario_id}", tags=["scenarios"], responses=ERRORS)
    def read_scenario(request: Request, scenario_id: IdParam) -> ScenarioOut:
        """One stored scenario with its data."""
        return ScenarioOut(**get_or_404(store(request).get_scenario(scenario_id), "scenario"))

    @app.put("/api/scenarios/{scenario_id}", tags=["scenarios"], responses=ERRORS)
    def update_scenario(request: Request, scenario_id: IdParam, body: ScenarioIn) -> ScenarioOut:
        """Replace a stored scenario (validated like a new one)."""
        get_or_404(store(request).get_scenario(scenario_id), "scenario")
        data, sc, _ = checked(body)
        return ScenarioOut(
            **get_or_404(store(request).update_scenario(scenario_id, sc.name, data), "scenario")
        )

    @app.delete(
        "/api/scenarios/{scenario_id}", tags=["scenarios"], status_code=204, responses=ERRORS
    )
    def delete_scenario(request: Request, scenario_id: IdParam) -> Response:
        """Delete a stored scenario (its runs stay, with a snapshot of the scenario)."""
        get_or_404(store(request).delete_scenario(scenario_id) or None, "scenario")
        return Response(status_code=204)

    @app.post("/api/validate", tags=["scenarios"], responses=ERRORS)
    def validate(
        body: ScenarioIn,
        target_alt_m: Annotated[
            float, Query(ge=0, le=30_000, description="target height for radar coverage")
        ] = 100.0,
    ) -> ValidationOut:
        """Check a scenario with the rules of `samsim validate` plus the server's limits.

        Answers 200 whether or not the scenario is valid; ``problems`` lists each
        problem with its field path. A valid scenario also gets its coverage
        (radar horizon against ``target_alt_m``, launcher envelopes).
        """
        from samsim.web.geo import coverage

        try:
            _, sc, cat = checked(body)
        except ScenarioError as exc:
            return ValidationOut(
                valid=False,
                problems=[ProblemOut(path=p.path, message=p.message) for p in exc.problems],
            )
        counts = {
            "assets": len(sc.assets),
            "fire_units": len(sc.batteries),
            "raids": len(sc.raids),
            "threats": sum(r.count for r in sc.raids),
            "traffic": sum(t.count for t in sc.traffic),
        }
        return ValidationOut(
            valid=True,
            problems=[],
            counts=counts,
            coverage=CoverageOut(**coverage(sc, cat, target_alt_m)),
        )

    @app.post("/api/convert", tags=["scenarios"], responses=ERRORS)
    def convert(body: ScenarioIn) -> ConvertOut:
        """YAML text to JSON data and back, without the scenario rules (for editors).

        The document checks still apply (size, nesting, finite numbers, no paths).
        """
        from samsim.export import scenario_to_yaml

        data = check_document(scenario_data(body), limits)
        return ConvertOut(yaml=scenario_to_yaml(data), scenario=data)

    @app.get(
        "/api/scenarios/{scenario_id}/export.yaml",
        tags=["exports"],
        responses={**ERRORS, 200: {"content": {"application/yaml": {}}}},
        response_class=Response,
    )
    def export_yaml(request: Request, scenario_id: IdParam) -> Response:
        """The scenario as YAML that `samsim run` accepts unchanged."""
        from samsim.export import scenario_to_yaml

        rec = get_or_404(store(request).get_scenario(scenario_id), "scenario")
        return Response(
            scenario_to_yaml(rec["scenario"]),
            media_type="application/yaml",
            headers={"Content-Disposition": f'attachment; filename="{rec["name"]}.yaml"'},
        )

    # Runs -----------------------------------------------------------------------------

    @app.post(
        "/api/runs", tags=["runs"], status_code=202, responses={**ERRORS, 429: {"model": ErrorOut}}
    )
    def start_run(request: Request, body: RunIn) -> RunOut:
        """Start a run of a stored scenario in the worker pool; replication 0 is recorded."""
        st, pl = store(request), pool(request)
        rec = get_or_404(st.get_scenario(body.scenario_id), "scenario")
        if body.replications > limits.max_replications:
            raise ScenarioError(
                [
                    Problem(
                        "replications",
                        f"{body.replications} exceed the server's limit of "
                        f"{limits.max_replications}",
                    )
                ]
            )
        sc, _ = check_scenario_data(rec["scenario"], limits)
        seed = sc.seed if body.seed is None else body.seed
        if not pl.has_capacity():
            raise HTTPException(429, "too many runs queued or running; try again later")
        run = st.create_run(rec["id"], rec["name"], rec["scenario"], seed, body.replications)
        if not pl.submit(run["id"], rec["scenario"], seed, body.replications):
            st.finish_run(run["id"], "failed", "too many runs queued or running")
            raise HTTPException(429, "too many runs queued or running; try again later")
        return RunOut(**run)

    @app.get("/api/runs", tags=["runs"])
    def list_runs(request: Request) -> list[RunOut]:
        """Recent runs (at most 200), newest first."""
        return [RunOut(**_with_live(request, r)) for r in store(request).list_runs()]

    def _with_live(request: Request, run: dict[str, Any]) -> dict[str, Any]:
        live = pool(request).live(run["id"])
        if live is not None and run["status"] in ("queued", "running"):
            run.update(live)
        return run

    @app.get("/api/runs/{run_id}", tags=["runs"], responses=ERRORS)
    def read_run(request: Request, run_id: IdParam) -> RunOut:
        """Status, progress and (when done) the summary of a run."""
        return RunOut(**_with_live(request, get_or_404(store(request).get_run(run_id), "run")))

    @app.get(
        "/api/runs/{run_id}/progress",
        tags=["runs"],
        responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
        response_class=StreamingResponse,
    )
    async def run_progress(request: Request, run_id: IdParam):
        """Server-sent events: a ``progress`` event (JSON: status, progress, sim_time_s)
        whenever progress changes, ending with the final status."""
        get_or_404(store(request).get_run(run_id), "run")

        def read() -> dict[str, Any] | None:
            run = store(request).get_run(run_id)
            return None if run is None else _with_live(request, run)

        keys = ("status", "progress", "sim_time_s", "message")
        return progress_stream(request, read, keys, ("queued", "running"))

    @app.post(
        "/api/runs/{run_id}/cancel",
        tags=["runs"],
        status_code=202,
        responses={**ERRORS, 409: {"model": ErrorOut}},
    )
    def cancel_run(request: Request, run_id: IdParam) -> RunOut:
        """Cancel a queued or running run."""
        run = get_or_404(store(request).get_run(run_id), "run")
        if not pool(request).cancel(run_id):
            raise HTTPException(409, f"run is {run['status']}, not queued or running")
        return RunOut(**_with_live(request, run))

    @app.delete(
        "/api/runs/{run_id}",
        tags=["runs"],
        status_code=204,
        responses={**ERRORS, 409: {"model": ErrorOut}},
    )
    def delete_run(request: Request, run_id: IdParam) -> Response:
        """Delete a finished run and its results."""
        run = get_or_404(store(request).get_run(run_id), "run")
        if run["status"] in ("queued", "running"):
            raise HTTPException(409, "cancel the run before deleting it")
        store(request).delete_run(run_id)
        return Response(status_code=204)

    def _replay(request: Request, run_id: str) -> dict[str, Any]:
        get_or_404(store(request).get_run(run_id), "run")
        replay = store(request).get_replay(run_id)
        if replay is None:
            raise HTTPException(409, "the run has no results (yet)")
        return replay

    @app.get(
        "/api/runs/{run_id}/replay",
        tags=["runs"],
        responses={
            **ERRORS,
            409: {"model": ErrorOut},
            200: {"content": {"application/json": {}}, "description": "the replay"},
        },
        response_class=Response,
    )
    def run_replay(request: Request, run_id: IdParam) -> Response:
        """Replication 0 for replay: tracks of every mover, radar tracks, events, metrics.

        Sent gzip-compressed (as stored) to clients that accept it.
        """
        get_or_404(store(request).get_run(run_id), "run")
        blob = store(request).get_replay_gzip(run_id)
        if blob is None:
            raise HTTPException(409, "the run has no results (yet)")
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(
                blob,
                media_type="application/json",
                headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
            )
        return Response(gzip.decompress(blob), media_type="application/json")

    @app.get(
        "/api/runs/{run_id}/scenario.yaml",
        tags=["exports"],
        responses={**ERRORS, 200: {"content": {"application/yaml": {}}}},
        response_class=Response,
    )
    def run_scenario_yaml(request: Request, run_id: IdParam) -> Response:
        """The scenario exactly as this run used it, as YAML."""
        from samsim.export import scenario_to_yaml

        data = get_or_404(store(request).run_scenario_data(run_id), "run")
        return Response(scenario_to_yaml(data), media_type="application/yaml")

    @app.get(
        "/api/runs/{run_id}/export.czml",
        tags=["exports"],
        responses={**ERRORS, 409: {"model": ErrorOut}, 200: {"content": {"application/json": {}}}},
        response_class=Response,
    )
    def export_czml(request: Request, run_id: IdParam) -> Response:
        """CZML of replication 0 for CesiumJS (validated with czml3)."""
        from samsim.export import replay_to_czml

        replay = _replay(request, run_id)
        return Response(
            replay_to_czml(replay),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{replay["scenario"]}.czml"'},
        )

    @app.get(
        "/api/runs/{run_id}/export.kml",
        tags=["exports"],
        responses={
            **ERRORS,
            409: {"model": ErrorOut},
            200: {"content": {"application/vnd.google-earth.kml+xml": {}}},
        },
        response_class=Response,
    )
    def export_kml(request: Request, run_id: IdParam) -> Response:
        """KML of replication 0 for Google Earth (time-tagged gx:Track per mover)."""
        from samsim.export import replay_to_kml

        replay = _replay(request, run_id)
        return Response(
            replay_to_kml(replay),
            media_type="application/vnd.google-earth.kml+xml",
            headers={"Content-Disposition": f'attachment; filename="{replay["scenario"]}.kml"'},
        )

    app.include_router(sweeps_router)

    # Front end ------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
