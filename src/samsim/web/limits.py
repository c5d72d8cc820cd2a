"""ASGI middleware: refuse request bodies over a size limit with 413 and a JSON message.

Checks the declared ``Content-Length`` first, then counts the bytes actually
received (a chunked body has no length) before the application sees any, so an
oversized body is never read into memory whole.
"""

from __future__ import annotations

import json

__all__ = ["BodySizeLimit"]


class BodySizeLimit:
    """Answer 413 to any HTTP request whose body exceeds ``max_bytes``."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = int(max_bytes)

    async def _reply_413(self, send) -> None:
        body = json.dumps(
            {"detail": f"request body larger than {self.max_bytes} bytes", "problems": []}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._reply_413(send)
                    return
        # Read the body first (at most max_bytes + one chunk), then replay it to the app:
        # an oversized chunked body is refused before the application sees any of it.
        messages = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                messages.append(message)
                break
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self._reply_413(send)
                return
            messages.append(message)
            more = message.get("more_body", False)

        async def replay_receive():
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay_receive, send)
