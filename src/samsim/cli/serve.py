"""Command ``serve``: the local web application (FastAPI under uvicorn)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from samsim.cli.app import _fail, app, out


def default_data_dir() -> Path:
    """Where the server keeps its DuckDB file: $SAMSIM_DATA, else the user's data directory."""
    if os.environ.get("SAMSIM_DATA"):
        return Path(os.environ["SAMSIM_DATA"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "samsim" / "web"


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="address to bind; anything but loopback exposes the server")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="directory of the server's store (default: user data dir)"),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="worker processes that execute runs")
    ] = max(1, (os.cpu_count() or 2) - 1),
    max_body_bytes: Annotated[
        int, typer.Option(min=10_000, max=100_000_000, help="request body size limit")
    ] = 1_000_000,
) -> None:
    """Serve the web application: scenarios on a map, runs, replays and exports."""
    import uvicorn

    from samsim.web import Limits, Settings, create_app

    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            _fail([f"--host: {host!r} is not an IP address"])
        ip = ipaddress.ip_address("127.0.0.1")
    data_dir = data or default_data_dir()
    if data_dir.exists() and not data_dir.is_dir():
        _fail([f"--data: {data_dir} exists and is not a directory"])
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail([f"--data: cannot create {data_dir}: {exc.strerror}"])
    try:  # fail early and clearly if another server holds the store
        from samsim.web.storage import Store

        Store(data_dir).close()
    except Exception as exc:
        _fail([f"--data: cannot open the store in {data_dir} ({type(exc).__name__}: {exc})"])
    if not ip.is_loopback:
        out.print(
            f"warning: binding {host} makes the server reachable from other machines; "
            "it has no authentication",
            markup=False,
        )
    settings = Settings(
        data_dir=data_dir, workers=workers, limits=Limits(max_body_bytes=max_body_bytes)
    )
    out.print(
        f"samsim web: http://{host}:{port}/  (store {data_dir}, {workers} worker(s); Ctrl-C stops)",
        markup=False,
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
