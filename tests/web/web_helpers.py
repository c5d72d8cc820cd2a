"""Assertions and readers shared by the web tests (HTTP against the running server)."""

from __future__ import annotations

import json

import httpx


def sse_events(server, path: str, timeout_s: float = 240.0) -> list[dict]:
    """Every ``data:`` payload of a server-sent event stream, until the server ends it."""
    events = []
    with (
        httpx.Client(base_url=server.url, timeout=timeout_s) as c,
        c.stream("GET", path) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    return events


PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "nologin")  # text of /etc/passwd, never served


def assert_4xx_json(resp: httpx.Response, status: int | None = None) -> dict:
    """A 4xx (``status`` if given) with a JSON message, and nothing of /etc/passwd in it."""
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:300])
    if status is not None:
        assert resp.status_code == status, resp.text[:300]
    body = resp.json()
    assert isinstance(body["detail"], str) and body["detail"]
    for text in PASSWD_MARKERS:
        assert text not in resp.text
    return body
