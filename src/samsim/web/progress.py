"""Server-sent progress events shared by runs and sweeps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

POLL_PERIOD_S = 0.25  # how often the record is read while the job is active [s]


def progress_stream(
    request: Request,
    read: Callable[[], dict[str, Any] | None],
    keys: tuple[str, ...],
    active: Collection[str],
) -> StreamingResponse:
    """A ``progress`` event (JSON of ``keys`` of the record) whenever they change.

    ``read`` returns the job's current record (``None`` once it is gone) and
    runs in a worker thread, since it reads the store. The stream ends with the
    first record whose ``status`` is not in ``active``, or when the client leaves.
    """

    async def events() -> AsyncIterator[str]:
        last = None
        while True:
            rec = await asyncio.to_thread(read)
            if rec is None:
                return
            msg = {k: rec[k] for k in keys}
            if msg != last:
                last = msg
                yield f"event: progress\ndata: {json.dumps(msg)}\n\n"
            if rec["status"] not in active or await request.is_disconnected():
                return
            await asyncio.sleep(POLL_PERIOD_S)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
