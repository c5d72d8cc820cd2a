"""Local web application: scenarios on a map, runs with live progress, replays, exports.

Start it with ``samsim serve``; see docs/web.md. ``create_app(Settings(...))``
builds the FastAPI application for use under any ASGI server.
"""

from samsim.web.app import Settings, create_app
from samsim.web.checks import Limits

__all__ = ["Limits", "Settings", "create_app"]
